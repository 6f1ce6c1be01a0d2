// Disk full while staging (issue #4): the install root sits on a real tmpfs
// whose free space (or free inodes) is then cut to a few MiB. Staging a
// bigger update fails with a clear "not enough space", removes its partial
// files, records nothing, and the installed version keeps running; once
// space is back the same update stages and applies.
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "invariants.h"
#include "release_fixture.h"

using namespace upkeep::test;

namespace {

// A real tmpfs mounted for one test (needs root), resizable in place.
class Tmpfs {
 public:
  explicit Tmpfs(const stdfs::path& dir) : dir_(dir) {
    stdfs::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=256m") == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Leaves `free_bytes` free (and `free_inodes` free inodes) beyond what is used now.
  void limit(uint64_t free_bytes, uint64_t free_inodes) {
    struct statvfs s {};
    REQUIRE(::statvfs(dir_.c_str(), &s) == 0);
    uint64_t used = (s.f_blocks - s.f_bfree) * s.f_frsize, used_inodes = s.f_files - s.f_ffree;
    std::string opts =
        "size=" + std::to_string(used + free_bytes) + ",nr_inodes=" + std::to_string(used_inodes + free_inodes);
    INFO("remount " << opts);
    REQUIRE(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0);
  }
  void unlimit() { REQUIRE(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, "size=256m,nr_inodes=100000") == 0); }

 private:
  stdfs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

// 2.0.0 brings an 8 MiB payload in 40 files: more bytes than a few MiB, more files than a few inodes.
stdfs::path big_build(VendorRepo& vendor) {
  stdfs::path d = vendor.build_folder("2.0.0");
  std::mt19937 rng(5);
  for (int i = 0; i < 40; ++i) {
    std::string bytes(200 << 10, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    write_text(d / "data" / ("part-" + std::to_string(i) + ".bin"), bytes);
  }
  return d;
}

void expect_nothing_staged(const stdfs::path& root) {
  CHECK(stdfs::is_empty(root / "staging"));  // no partial download, no half-extracted folder
  CHECK_FALSE(stdfs::exists(root / "manifests" / "2.0.0.json"));
  CHECK_FALSE(stdfs::exists(root / ".pending"));
  upkeep::StateStore store(root / "state.db", upkeep::StateStore::Mode::kReadOnly);
  CHECK_FALSE(store.get("2.0.0"));
}

}  // namespace

TEST_CASE("staging onto a full disk fails with 'not enough space', leaves nothing, and the current version runs",
          "[disk_full][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(big_build(vendor), "2.0.0");
  RepoServerProcess server(vendor.repo());
  TempDir dir;
  Tmpfs disk(dir / "disk");
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs (" << disk.error() << "); run as root");
    return;
  }
  stdfs::path root = dir / "disk" / "app";
  run_ok({program("upkeep").string(), "install", "--repo", server.url, "--prefix", root.string(), "--version", "1.0.0",
          "--trusted-root", vendor.root_json().string()});
  const std::string launcher = (root / "demo").string();

  SECTION("too few bytes: refused before downloading, by the updater and by mainapp") {
    disk.limit(3 << 20, 1000);
    RunResult r = run({launcher, "--upkeep-check-now", "--version"});
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "mainapp 1.0.0\n"));
    CHECK(contains(r.err, "not enough space to stage 2.0.0"));
    CHECK(contains(r.err, "the update check failed (exit 7)"));
    expect_nothing_staged(root);

    RunResult app = run({launcher, "--exit-after-check"});
    INFO("mainapp stdout:\n" << app.out);
    CHECK(app.exit_code == 0);
    CHECK(contains(app.out, "mainapp 1.0.0 running"));
    CHECK(contains(app.out, "not enough space"));
    expect_nothing_staged(root);
  }
  SECTION("too few inodes: the free-space check passes, extraction fails half-way and is removed") {
    disk.limit(64 << 20, 8);
    RunResult r = run({launcher, "--upkeep-check-now", "--version"});
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "mainapp 1.0.0\n"));
    CHECK(contains(r.err, "not enough space: cannot write"));  // failed while extracting, not by the check
    CHECK(contains(r.err, "staging/2.0.0.tmp-extract"));
    CHECK(contains(r.err, "the update check failed (exit 7)"));
    expect_nothing_staged(root);
  }
  CHECK(check_invariants(root, {{"1.0.0"}, true, true}).empty());

  // Space is back: the same update stages and applies.
  disk.unlimit();
  RunResult r = run_ok({launcher, "--upkeep-check-now", "--version"});
  CHECK(contains(r.out, "mainapp 2.0.0\n"));
  CHECK(check_invariants(root, {{"2.0.0"}, true, true}).empty());
}

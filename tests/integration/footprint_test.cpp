// Footprint (issue #15): what an install adds beyond the application, and an
// offline bundle of a tiny application, through the real programs; the
// figures are in docs/benchmarks.md ("Footprint", bench/footprint.sh).
#include "release_fixture.h"

using namespace upkeep::test;

namespace {

constexpr uint64_t kMaxInstallOverhead = 8'000'000;  // bytes: the root beyond versions/<v>/
constexpr uint64_t kMaxTinyBundle = 10'000'000;

// A build folder holding one 176-byte shell script, `hello`.
stdfs::path tiny_app(VendorRepo& vendor) {
  const stdfs::path d = vendor.dir() / "build-tiny";
  std::string script = "#!/bin/sh\necho \"hello from version ${UPKEEP_VERSION:-unknown}\"\n";
  script += std::string(175 - script.size(), '#') + "\n";
  REQUIRE(script.size() == 176);
  write_text(d / "hello", script);
  stdfs::permissions(d / "hello", static_cast<stdfs::perms>(0755));
  return d;
}

// The regular files under `dir` but those under `skip`, apparent sizes.
uint64_t bytes_beyond(const stdfs::path& dir, const stdfs::path& skip) {
  uint64_t total = 0;
  for (auto it = stdfs::recursive_directory_iterator(dir); it != stdfs::recursive_directory_iterator(); ++it) {
    if (it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && !it->is_symlink()) total += it->file_size();
  }
  return total;
}

// The section names of an ELF file, as readelf lists them.
std::string sections_of(const stdfs::path& elf) { return run_ok({"/usr/bin/readelf", "-S", "-W", elf.string()}).out; }

}  // namespace

TEST_CASE("footprint: an install adds at most 8 MB beyond the app, with stripped launcher and updater",
          "[footprint][install][integration]") {
  VendorRepo vendor;
  vendor.release(tiny_app(vendor), "1.0.0");
  TempDir dir;
  const stdfs::path root = dir / "app";
  run_ok({program("upkeep").string(), "install", "--repo", "file://" + vendor.repo().string() + "/", "--prefix",
          root.string(), "--no-shortcut", "--trusted-root", vendor.root_json().string()});

  const uint64_t overhead = bytes_beyond(root, root / "versions" / "1.0.0");
  INFO("install overhead: " << overhead << " bytes");
  CHECK(overhead <= kMaxInstallOverhead);
  for (const char* installed : {"demo", "upkeep-updater"}) {
    INFO(installed);
    const std::string sections = sections_of(root / installed);
    CHECK_FALSE(contains(sections, ".symtab"));
    CHECK_FALSE(contains(sections, ".debug_"));
  }
  // Debugging stays possible: the build keeps each program's debug info beside it and the stripped file names it.
  for (const char* name : {"launcher", "upkeep-updater", "upkeep"}) {
    INFO(name);
    CHECK(stdfs::exists(program(std::string(name) + ".debug")));
    CHECK(contains(run_ok({"/usr/bin/readelf", "-p", ".gnu_debuglink", program(name).string()}).out,
                   std::string(name) + ".debug"));
  }
}

TEST_CASE("footprint: an offline bundle of a 176-byte app is at most 10 MB", "[footprint][bundle][integration]") {
  VendorRepo vendor;
  vendor.release(tiny_app(vendor), "1.0.0");
  TempDir dir;
  const stdfs::path bundle = dir / "hello.bundle";
  // The programs beside `upkeep` are what a bundle carries by default.
  run_ok({program("upkeep").string(), "bundle", "--version", "1.0.0", "-o", bundle.string(), "--repo",
          vendor.repo().string(), "--update-url", "https://updates.example.com/"});
  INFO("bundle: " << stdfs::file_size(bundle) << " bytes");
  CHECK(stdfs::file_size(bundle) <= kMaxTinyBundle);
}

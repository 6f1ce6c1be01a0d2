// Stager against a real repository made by the vendor classes and served
// over real HTTP: staging, resume after a dropped connection, a tampered
// manifest, a full disk, and the delta route's metadata (the delta bundle
// instead of files.json, and the package when the bundle is damaged).
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "staging_fixture.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// The one file of 2.0.0's release directory whose name ends in `suffix` (".delta.zst", ...).
stdfs::path stored_target(const StagingFixture& f, const std::string& suffix) {
  std::vector<stdfs::path> found;
  for (const auto& e : stdfs::directory_iterator(f.repo / "targets" / "demo" / "2.0.0" / build_platform()))
    if (e.path().filename().string().ends_with(suffix)) found.push_back(e.path());
  REQUIRE(found.size() == 1);
  return found.front();
}

// Installs 1.0.0 holding 2.0.0's large file, so that a delta of 2.0.0 is
// far cheaper than its package and the delta route stages it.
void install_old_version(StagingFixture& f) {
  const stdfs::path v1 = f.layout.version_dir("1.0.0");
  stdfs::create_directories(v1 / "bin");
  stdfs::copy_file(f.dir / "build" / "bin" / "app", v1 / "bin" / "app");
  write_text(f.layout.manifest_file("1.0.0"), FileManifest::from_directory(v1, "1.0.0").to_json());
}

// Stages 2.0.0 with deltas on, counting from a clean slate what the server sent.
void stage_with_deltas(StagingFixture& f) {
  f.use_delta = true;
  f.server.reset_byte_counts();
  f.stage();
  StateStore store(f.layout.state_db());
  REQUIRE(store.get("2.0.0"));
  CHECK(store.get("2.0.0")->state == VersionState::kStaged);
  // The saved manifest is files.json exactly as signed, wherever it came from.
  const std::string files_json = read_text(stored_target(f, ".files.json"));
  CHECK(fs::read_file(f.layout.manifest_file("2.0.0")) == files_json);
  CHECK(store.get("2.0.0")->manifest_sha256 == sha256_hex(files_json));
  FileManifest::parse(files_json).verify_directory(f.layout.staged_dir("2.0.0"), FileManifest::Depth::kFull);
}

// What the server sent of each kind of target, which must add up to all it sent below targets/.
struct TargetBytes {
  uint64_t bundle, manifest, package, pieces;
};
TargetBytes target_bytes(const StagingFixture& f) {
  TargetBytes b{f.server.body_bytes_sent(".delta.zst"), f.server.body_bytes_sent(".files.json"),
                f.server.body_bytes_sent(".package.zip"),
                f.server.body_bytes_sent("/blobs/") + f.server.body_bytes_sent("/patches/")};
  CHECK(f.server.body_bytes_sent("/targets/") == b.bundle + b.manifest + b.package + b.pieces);
  return b;
}

}  // namespace

TEST_CASE("stage: download, verify, extract and record", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  f.stage();
  StateStore store(f.layout.state_db());
  auto rec = store.get("2.0.0");
  REQUIRE(rec);
  CHECK(rec->state == VersionState::kStaged);
  std::string manifest = fs::read_file(f.layout.manifest_file("2.0.0"));
  CHECK(rec->manifest_sha256 == sha256_hex(manifest));
  FileManifest::parse(manifest).verify_directory(f.layout.staged_dir("2.0.0"), FileManifest::Depth::kFull);
  CHECK(stdfs::exists(f.layout.pending_marker()));
  CHECK_FALSE(stdfs::exists(f.layout.staging_dir() / "2.0.0.package.zip"));

  // Staging again is a no-op: nothing is downloaded twice.
  f.stage();
  CHECK(f.fetcher.downloads == 1);
}

TEST_CASE("stage: a connection dropped half-way resumes and fetches only the rest", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  uint64_t half = f.package_length / 2;
  f.fetcher.before_download = [&] { f.server.set_drop_after_bytes(half); };
  error_of([&] { f.stage(); }, ErrorCode::kNetwork);
  CHECK(f.nothing_staged());
  stdfs::path part = f.layout.staging_dir() / "2.0.0.package.zip.part";
  REQUIRE(stdfs::exists(part));
  uint64_t have = stdfs::file_size(part);
  CHECK(have == half);

  f.fetcher.before_download = nullptr;
  f.stage();
  CHECK(f.fetcher.last.resumed);
  CHECK(f.fetcher.last.bytes_transferred == f.package_length - have);
  StateStore store(f.layout.state_db());
  CHECK(store.get("2.0.0")->state == VersionState::kStaged);
  CHECK_FALSE(stdfs::exists(part));
}

TEST_CASE("stage: a package verified by a run that died before extracting is not fetched again", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  // What a run killed between download and extraction leaves: the verified package.
  stdfs::path zip = f.layout.package_download("2.0.0");
  for (const auto& e : stdfs::recursive_directory_iterator(f.repo / "targets"))
    if (e.path().filename().string().find(".package.zip") != std::string::npos) stdfs::copy_file(e.path(), zip);
  REQUIRE(stdfs::file_size(zip) == f.package_length);
  f.server.reset_byte_counts();
  f.stage();
  CHECK(f.fetcher.downloads == 0);
  CHECK(f.server.body_bytes_sent(".package.zip") == 0);
  CHECK(f.server.body_bytes_sent(".files.json") > 0);  // the counter does count what was fetched
  StateStore store(f.layout.state_db());
  CHECK(store.get("2.0.0")->state == VersionState::kStaged);
  CHECK_FALSE(stdfs::exists(zip));
}

TEST_CASE("stage: a package file of the right length but other bytes is downloaded again", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  write_text(f.layout.package_download("2.0.0"), std::string(f.package_length, 'x'));
  f.server.reset_byte_counts();
  f.stage();
  CHECK(f.fetcher.downloads == 1);
  CHECK(f.server.body_bytes_sent(".package.zip") == f.package_length);
}

TEST_CASE("stage: a version whose interrupted apply already moved it is not downloaded again", "[stager]") {
  // Found by the torture harness: a power cut between the apply's journal
  // row and its commit left 2.0.0 in versions/ and "staged" in the store;
  // `--upkeep-check-now` then downloaded and staged it a second time.
  TempDir root;
  StagingFixture f(root.path());
  f.stage();
  {
    StateStore store(f.layout.state_db());
    store.journal_begin(JournalOp::kApply, "2.0.0", "");
  }
  stdfs::create_directories(f.layout.versions_dir());
  stdfs::rename(f.layout.staged_dir("2.0.0"), f.layout.version_dir("2.0.0"));
  f.server.reset_byte_counts();
  f.stage();
  CHECK(f.fetcher.downloads == 1);  // the first staging only
  CHECK(f.server.body_bytes_sent(".package.zip") == 0);
  CHECK_FALSE(stdfs::exists(f.layout.staged_dir("2.0.0")));
}

TEST_CASE("stage: a manifest that does not match its signed hash stages nothing", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  for (const auto& e : stdfs::recursive_directory_iterator(f.repo / "targets"))
    if (e.path().filename().string().find(".files.json") != std::string::npos) {
      std::string text = read_text(e.path());
      text.replace(text.find("\"size\":"), 7, "\"size\" :");  // same meaning, different bytes
      write_text(e.path(), text);
    }
  try {
    f.stage();
    FAIL("staging a tampered manifest must fail");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kVerification);
    CHECK(std::string(e.what()).find("files.json") != std::string::npos);
  }
  CHECK(f.nothing_staged());
  CHECK(f.fetcher.downloads == 0);  // the package is never fetched
}

TEST_CASE("stage: a full disk fails with 'not enough space' and leaves nothing", "[stager]") {
  TempDir outer;
  stdfs::path root = outer / "small";
  stdfs::create_directories(root);
  if (::mount("tmpfs", root.c_str(), "tmpfs", 0, "size=512k") != 0) {
    WARN("cannot mount a tmpfs here (needs root): skipped");
    return;
  }
  struct Unmount {
    stdfs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{root};
  {
    StagingFixture f(root);
    try {
      f.stage();
      FAIL("staging onto a full disk must fail");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kNoSpace);
      CHECK(std::string(e.what()).find("not enough space") != std::string::npos);
    }
    CHECK(f.nothing_staged());
    CHECK(stdfs::is_empty(f.layout.staging_dir()));
  }
}

TEST_CASE("stage refuses a version whose rollback the journal holds, before fetching anything", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  StateStore(f.layout.state_db()).journal_begin(JournalOp::kRollback, "2.0.0", "1.0.0");
  auto msg = upkeep::test::error_of([&] { f.stage(); }, ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::Contains("2.0.0 is being rolled back"));
  CHECK(f.fetcher.downloads == 0);
  CHECK_FALSE(stdfs::exists(f.layout.staged_dir("2.0.0")));
}

TEST_CASE("stage refuses a quarantined version before fetching anything", "[stager][quarantine]") {
  TempDir root;
  StagingFixture f(root.path());
  StateStore(f.layout.state_db()).record_quarantined("2.0.0", "3 failed tries; last error: x");
  auto msg = upkeep::test::error_of([&] { f.stage(); }, ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::Contains("2.0.0 is quarantined"));
  CHECK(f.fetcher.downloads == 0);
  CHECK_FALSE(stdfs::exists(f.layout.staged_dir("2.0.0")));
}

TEST_CASE("stage on the delta route takes the manifest from the delta bundle and fetches no files.json",
          "[stager][delta]") {
  TempDir root;
  StagingFixture f(root.path());
  install_old_version(f);
  stage_with_deltas(f);
  TargetBytes b = target_bytes(f);
  CHECK(b.manifest == 0);
  CHECK(b.bundle == stdfs::file_size(stored_target(f, ".delta.zst")));
  CHECK(b.package == 0);
  CHECK(f.fetcher.downloads == 1);  // README's blob: bin/app is held by 1.0.0
  CHECK(b.pieces == f.fetcher.last.bytes_transferred);
  CHECK_FALSE(stdfs::exists(f.layout.delta_work_dir("2.0.0")));
}

TEST_CASE("a damaged or missing delta bundle falls back to files.json and the package", "[stager][delta]") {
  TempDir root;
  StagingFixture f(root.path());
  install_old_version(f);
  const stdfs::path bundle = stored_target(f, ".delta.zst");
  const uint64_t bundle_length = stdfs::file_size(bundle);
  SECTION("a byte changed: its hash is not the signed one") {
    std::string bytes = read_text(bundle);
    bytes[bytes.size() / 2] ^= 0x01;
    write_text(bundle, bytes);
    stage_with_deltas(f);
    CHECK(target_bytes(f).bundle == bundle_length);  // fetched, refused before decompressing
  }
  SECTION("gone from the server (404)") {
    stdfs::remove(bundle);
    stage_with_deltas(f);
    CHECK(target_bytes(f).bundle < bundle_length);  // the 404 reply's short body only
  }
  SECTION("more bytes than signed") {
    write_text(bundle, read_text(bundle) + "x");
    stage_with_deltas(f);
    CHECK(target_bytes(f).bundle <= bundle_length + 1);
  }
  TargetBytes b = target_bytes(f);
  CHECK(b.manifest == stdfs::file_size(stored_target(f, ".files.json")));
  CHECK(b.package == f.package_length);
  CHECK(b.pieces == 0);
  CHECK(f.fetcher.downloads == 1);
}

TEST_CASE("stage recreates a release's links and writes its launch spec, on the package and the delta route",
          "[stager][links]") {
  TempDir root;
  StagingFixture f(root.path());
  const stdfs::path build = f.dir / "build-3.0.0";
  write_text(build / "bin" / "hello", "#!/bin/sh\necho 3\n");
  stdfs::permissions(build / "bin" / "hello", static_cast<stdfs::perms>(0755));
  write_text(build / "lib" / "libx.so.1.0", "ELF 3");
  stdfs::create_symlink("libx.so.1.0", build / "lib" / "libx.so.1");
  stdfs::create_symlink("../lib", build / "bin" / "lib");
  publish::ReleaseInfo info;
  info.app_id = "demo";
  info.version = "3.0.0";
  info.launch = LaunchSpec{"bin/hello", {"--greet"}, HealthRule::parse("exit")};
  publish::RepositoryPublisher(f.repo, f.keys).publish_release(build, info);

  SECTION("package") {}
  SECTION("delta") { f.use_delta = true; }
  f.server.reset_byte_counts();
  f.stage();
  CHECK((f.server.body_bytes_sent(".package.zip") == 0) == f.use_delta);
  const stdfs::path staged = f.layout.staged_dir("3.0.0");
  CHECK(stdfs::read_symlink(staged / "lib" / "libx.so.1") == "libx.so.1.0");
  CHECK(stdfs::read_symlink(staged / "bin" / "lib") == "../lib");
  CHECK(read_text(staged / "bin" / "lib" / "libx.so.1") == "ELF 3");
  const FileManifest m = FileManifest::parse(fs::read_file(f.layout.manifest_file("3.0.0")));
  m.verify_directory(staged, FileManifest::Depth::kFull);
  CHECK(StateStore(f.layout.state_db()).get("3.0.0")->listing_sha256 == FileManifest::listing_digest_of(staged));
  CHECK(LaunchSpec::read(f.layout.launch_file("3.0.0")) == info.launch);
}

TEST_CASE("stage writes no launch file for a release that declares no program", "[stager]") {
  TempDir root;
  StagingFixture f(root.path());
  write_text(f.layout.launch_file("2.0.0"), "stale");  // left by an earlier, removed install of the version
  f.stage();
  CHECK(stdfs::exists(f.layout.manifest_file("2.0.0")));
  CHECK_FALSE(stdfs::exists(f.layout.launch_file("2.0.0")));
}

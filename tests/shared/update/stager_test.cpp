// Stager against a real repository made by the vendor classes and served
// over real HTTP: staging, resume after a dropped connection, a tampered
// manifest, and a full disk.
#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "error.h"
#include "expect_error.h"
#include "fs.h"
#include "hash.h"
#include "manifest.h"
#include "staging_fixture.h"

using namespace upkeep;
using namespace upkeep::test;

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
  // `--check-on-start` then downloaded and staged it a second time.
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

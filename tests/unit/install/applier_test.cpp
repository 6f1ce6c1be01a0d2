#include "upkeep/install/applier.h"

#include <catch2/catch.hpp>
#include <memory>

#include "expect_error.h"
#include "install_fixture.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/platform/install_lock.h"

using upkeep::Applier;
using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::FileManifest;
using upkeep::JournalOp;
using upkeep::Layout;
using upkeep::StateStore;
using upkeep::VersionState;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

using upkeep::test::error_of;
using upkeep::test::Install;

namespace {

// What a completed apply of `v` over `from` leaves behind.
void check_applied(Install& in, const std::string& v, const std::string& from, const std::string& content) {
  CHECK_FALSE(stdfs::exists(in.layout.staged_dir(v)));
  CHECK(read_text(in.layout.version_dir(v) / "app.txt") == content);
  CHECK(in.layout.current_version() == std::optional<std::string>(v));
  CHECK(read_text(in.layout.current_link() / "app.txt") == content);
  auto r = in.store->get(v);
  REQUIRE(r.has_value());
  CHECK(r->state == VersionState::kTrial);
  CHECK(r->previous == from);
  CHECK(r->attempts == 0);
  CHECK_FALSE(in.store->journal().has_value());
  CHECK(in.has_event("applied", v));
  CHECK(stdfs::is_directory(in.layout.version_dir(from)));  // kept for rollback
  CHECK(in.state(from) == VersionState::kGood);
}

// What discarding a staged `v` leaves behind: nothing of it, the current version untouched.
void check_discarded(Install& in, const std::string& v) {
  CHECK_FALSE(stdfs::exists(in.layout.staged_dir(v)));
  CHECK_FALSE(stdfs::exists(in.layout.version_dir(v)));
  CHECK_FALSE(stdfs::exists(in.layout.manifest_file(v)));
  CHECK_FALSE(stdfs::exists(in.layout.launch_file(v)));  // goes with its manifest
  CHECK(in.state(v) == VersionState::kRemoved);
  CHECK_FALSE(in.store->get(v)->reason.empty());
  CHECK(in.has_event("discarded", v));
  CHECK(in.layout.current_version() == std::optional<std::string>("1.0.0"));
  CHECK(in.state("1.0.0") == VersionState::kGood);
  CHECK_FALSE(in.store->journal().has_value());
}

}  // namespace

TEST_CASE("apply promotes a staged version and puts it on trial", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  check_applied(in, "2.0.0", "1.0.0", "two");
  CHECK(read_text(in.layout.version_dir("2.0.0") / "lib/data.bin") == "data of 2.0.0");
  CHECK(in.store->events(1)[0].detail == "from 1.0.0");
  CHECK(in.store->has_pending_work());  // the trial is the launcher's work
  CHECK_FALSE(in.applier().recover());  // nothing left to recover
}

TEST_CASE("apply supersedes an older version still staged: no longer staged, its files gone", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.stage("10.0.0", "ten");  // newer by SemVer, older by string
  REQUIRE(in.applier().staged_version() == std::optional<std::string>("10.0.0"));
  in.applier().apply("10.0.0");
  check_applied(in, "10.0.0", "1.0.0", "ten");
  CHECK(in.state("2.0.0") == VersionState::kRemoved);
  CHECK(in.store->get("2.0.0")->reason == "superseded by 10.0.0, applied instead");
  CHECK(in.has_event("superseded", "2.0.0"));
  CHECK_FALSE(stdfs::exists(in.layout.staged_dir("2.0.0")));
  CHECK_FALSE(stdfs::exists(in.layout.manifest_file("2.0.0")));
  CHECK_FALSE(in.applier().staged_version());
  // Rolled back, nothing is left staged for the next start to apply.
  in.applier().rollback("10.0.0", "1.0.0", "rolled back by hand");
  CHECK(in.store->in_state(VersionState::kStaged).empty());
}

TEST_CASE("a staged version that changed on disk is discarded with kVerification", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  write_text(in.layout.launch_file("2.0.0"), R"({"args":[],"health":"exit","program":"app.txt"})");
  std::string what;
  bool counted = true;  // a file system error (errno) is this machine's fault, not a failed try
  SECTION("a file was replaced by a folder") {
    stdfs::remove(in.layout.staged_dir("2.0.0") / "app.txt");
    stdfs::create_directories(in.layout.staged_dir("2.0.0") / "app.txt");
    what = "app.txt";
  }
  SECTION("a file was replaced by a symlink") {
    stdfs::remove(in.layout.staged_dir("2.0.0") / "app.txt");
    stdfs::create_symlink("/etc/passwd", in.layout.staged_dir("2.0.0") / "app.txt");
    what = "app.txt";
  }
  SECTION("an extra file appeared") {
    write_text(in.layout.staged_dir("2.0.0") / "extra.so", "x");
    what = "extra.so";
  }
  SECTION("a file vanished") {
    stdfs::remove(in.layout.staged_dir("2.0.0") / "lib/data.bin");
    what = "lib/data.bin";
  }
  SECTION("the manifest differs from its signed hash") {
    write_text(in.layout.manifest_file("2.0.0"), read_text(in.layout.manifest_file("2.0.0")) + " ");
    what = "signed hash";
  }
  SECTION("the manifest is missing") {
    stdfs::remove(in.layout.manifest_file("2.0.0"));
    what = in.layout.manifest_file("2.0.0").string();
    counted = false;
  }
  auto msg = error_of([&] { in.applier().apply("2.0.0"); }, ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::Contains("2.0.0") && Catch::Contains(what));
  CHECK((msg.find("failed try 1 of 3") != std::string::npos) == counted);
  check_discarded(in, "2.0.0");
  CHECK(in.store->failure_count("2.0.0") == (counted ? 1 : 0));
  CHECK(read_text(in.layout.current_link() / "app.txt") == "one");
}

TEST_CASE("apply checks the set of files, not their bytes: contents were verified when staged", "[applier]") {
  // Apply must not cost time per byte (docs/architecture.md): a staged file
  // rewritten in place with other bytes is not looked at again here.
  Install in;
  in.stage("2.0.0", "two");
  write_text(in.layout.staged_dir("2.0.0") / "app.txt", "two, but longer");
  in.applier().apply("2.0.0");
  CHECK(in.layout.current_version() == "2.0.0");
}

TEST_CASE("apply refuses a staged version that is not newer than the current one", "[applier]") {
  Install in;
  in.stage("0.9.0", "older");
  auto msg = error_of([&] { in.applier().apply("0.9.0"); }, ErrorCode::kVerification);
  CHECK_THAT(msg, Catch::Contains("not newer"));
  check_discarded(in, "0.9.0");
  CHECK(in.store->failure_count("0.9.0") == 0);  // stale, not broken: no failed try
}

TEST_CASE("apply performs a downgrade where managed policy allows one", "[applier][policy]") {
  Install in;
  in.stage("0.9.0", "older");
  Applier allowing(in.layout, *in.store, upkeep::test::kMaxFailures, /*downgrades_allowed=*/true);
  allowing.apply("0.9.0");
  CHECK(in.layout.current_version() == "0.9.0");
  CHECK(in.state("0.9.0") == upkeep::VersionState::kTrial);
}

TEST_CASE("apply of a version that is not staged changes nothing", "[applier]") {
  Install in;
  // The current version must never be "discarded" by a mistaken apply.
  auto msg = error_of([&] { in.applier().apply("1.0.0"); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains("1.0.0") && Catch::Contains("not staged"));
  CHECK(in.state("1.0.0") == VersionState::kGood);
  CHECK(read_text(in.layout.current_link() / "app.txt") == "one");
  error_of([&] { in.applier().apply("5.0.0"); }, ErrorCode::kNotFound);
  CHECK_FALSE(in.store->get("5.0.0").has_value());
  CHECK_FALSE(in.store->journal().has_value());
}

TEST_CASE("rollback switches back and marks the version bad with the reason", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  in.applier().rollback("2.0.0", "1.0.0", "killed by signal 11");
  CHECK(in.layout.current_version() == std::optional<std::string>("1.0.0"));
  CHECK(read_text(in.layout.current_link() / "app.txt") == "one");
  CHECK(in.state("2.0.0") == VersionState::kBad);
  CHECK(in.store->get("2.0.0")->reason == "killed by signal 11");
  CHECK(in.state("2.0.0") == VersionState::kBad);
  CHECK(in.state("1.0.0") == VersionState::kGood);
  CHECK_FALSE(in.store->journal().has_value());
  CHECK(in.store->events(1)[0].kind == "rolled_back");
  CHECK_THAT(in.store->events(1)[0].detail, Catch::Contains("killed by signal 11"));
  CHECK_FALSE(in.store->has_pending_work());
}

TEST_CASE("rollback to a missing folder fails before changing anything", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  stdfs::remove_all(in.layout.version_dir("1.0.0"));
  auto msg = error_of([&] { in.applier().rollback("2.0.0", "1.0.0", "x"); }, ErrorCode::kNoRunnableVersion);
  CHECK_THAT(msg, Catch::Contains(in.layout.version_dir("1.0.0").string()));
  CHECK(in.layout.current_version() == std::optional<std::string>("2.0.0"));
  CHECK(in.state("2.0.0") == VersionState::kTrial);
  CHECK_FALSE(in.store->journal().has_value());
}

TEST_CASE("mark_good confirms a trial and nothing else", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().mark_good("2.0.0");  // staged, not on trial: no change
  CHECK(in.state("2.0.0") == VersionState::kStaged);
  in.applier().apply("2.0.0");
  in.applier().mark_good("2.0.0");
  CHECK(in.state("2.0.0") == VersionState::kGood);
  CHECK(in.store->get("2.0.0")->previous == "1.0.0");  // still known for rollback and cleanup
  CHECK(in.has_event("confirmed", "2.0.0"));
  CHECK_FALSE(in.store->has_pending_work());
  in.applier().mark_good("9.9.9");  // unknown: no error
}

TEST_CASE("recover finishes an apply interrupted at any step", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  // The steps of apply(), done by hand up to the crash point.
  in.store->journal_begin(JournalOp::kApply, "2.0.0", "1.0.0");
  SECTION("after the journal row only") {}
  SECTION("after the move into versions/") {
    stdfs::rename(in.layout.staged_dir("2.0.0"), in.layout.version_dir("2.0.0"));
  }
  SECTION("after the switch of current") {
    stdfs::rename(in.layout.staged_dir("2.0.0"), in.layout.version_dir("2.0.0"));
    in.layout.switch_current("2.0.0");
  }
  REQUIRE(in.store->has_pending_work());
  CHECK(in.applier().recover());
  check_applied(in, "2.0.0", "1.0.0", "two");
  CHECK(in.has_event("recovered", "2.0.0"));
  CHECK_FALSE(in.applier().recover());  // done once, then nothing
}

TEST_CASE("recover finishes a rollback interrupted at any step", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  in.store->journal_begin(JournalOp::kRollback, "2.0.0", "1.0.0");
  SECTION("after the journal row only") {}
  SECTION("after the switch of current") { in.layout.switch_current("1.0.0"); }
  CHECK(in.applier().recover());
  CHECK(in.layout.current_version() == std::optional<std::string>("1.0.0"));
  CHECK(in.state("2.0.0") == VersionState::kBad);
  CHECK(in.state("1.0.0") == VersionState::kGood);
  CHECK_FALSE(in.store->journal().has_value());
  CHECK(in.has_event("rolled_back", "2.0.0"));
  CHECK(in.has_event("recovered", "2.0.0"));
  CHECK_FALSE(in.store->has_pending_work());
}

TEST_CASE("recover abandons an apply whose files vanished and keeps the current version", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.store->journal_begin(JournalOp::kApply, "2.0.0", "1.0.0");
  stdfs::remove_all(in.layout.staged_dir("2.0.0"));
  CHECK(in.applier().recover());
  CHECK(in.layout.current_version() == std::optional<std::string>("1.0.0"));
  CHECK(in.state("2.0.0") == VersionState::kRemoved);
  CHECK(in.store->failure_count("2.0.0") == 0);  // vanished files are a local fault, not a failed try
  CHECK(in.state("1.0.0") == VersionState::kGood);
  CHECK_FALSE(in.store->journal().has_value());
  CHECK(in.has_event("recovered", "2.0.0"));
  CHECK_FALSE(in.store->has_pending_work());
}

TEST_CASE("cleanup keeps current and previous and removes older versions with their manifests", "[applier]") {
  Install in;
  in.add_installed("0.8.0");
  in.add_installed("0.9.0");
  for (const char* v : {"0.8.0", "0.9.0", "1.0.0"})
    write_text(in.layout.launch_file(v), R"({"args":[],"health":"exit","program":"app.txt"})");
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  in.applier().mark_good("2.0.0");
  in.stage("3.0.0", "three");  // staged, waiting for the next start
  write_text(in.layout.staging_dir() / "3.1.0.package.zip.part", "partial download of a newer version");
  write_text(in.layout.staging_dir() / "3.2.0.package.zip", "verified download of a newer version");
  write_text(in.layout.staging_dir() / "leftover/file", "half-extracted");
  write_text(in.layout.staging_dir() / "old.zip", "unknown file");
  write_text(in.layout.staging_dir() / "1.5.0.package.zip.part", "download of a version older than current");
  write_text(in.layout.staging_dir() / "2.0.0.package.zip", "download of the current version");

  SECTION("with staging idle, leftovers go but downloads of newer versions and staged versions stay") {
    in.applier().cleanup();
    for (const char* gone : {"leftover", "old.zip", "1.5.0.package.zip.part", "2.0.0.package.zip"}) {
      INFO(gone);
      CHECK_FALSE(stdfs::exists(in.layout.staging_dir() / gone));
    }
  }
  SECTION("with a stager at work, staging is left alone") {
    auto stager = upkeep::InstallLock::try_acquire(in.layout.staging_lock_file());
    REQUIRE(stager);
    in.applier().cleanup();
    for (const char* kept : {"leftover/file", "old.zip", "1.5.0.package.zip.part", "2.0.0.package.zip"}) {
      INFO(kept);
      CHECK(stdfs::exists(in.layout.staging_dir() / kept));
    }
  }
  CHECK(stdfs::exists(in.layout.staging_dir() / "3.1.0.package.zip.part"));
  CHECK(stdfs::exists(in.layout.staging_dir() / "3.2.0.package.zip"));
  CHECK(stdfs::exists(in.layout.staged_dir("3.0.0") / "app.txt"));
  CHECK(stdfs::exists(in.layout.manifest_file("3.0.0")));
  CHECK(in.state("3.0.0") == VersionState::kStaged);
  for (const char* old : {"0.8.0", "0.9.0"}) {
    INFO(old);
    CHECK_FALSE(stdfs::exists(in.layout.version_dir(old)));
    CHECK_FALSE(stdfs::exists(in.layout.manifest_file(old)));
    CHECK_FALSE(stdfs::exists(in.layout.launch_file(old)));
    CHECK(in.state(old) == VersionState::kRemoved);
  }
  CHECK(stdfs::is_directory(in.layout.version_dir("2.0.0")));
  CHECK(stdfs::is_directory(in.layout.version_dir("1.0.0")));
  CHECK(stdfs::exists(in.layout.manifest_file("1.0.0")));
  CHECK(stdfs::exists(in.layout.launch_file("1.0.0")));
  CHECK(in.state("1.0.0") == VersionState::kGood);
  // The staged version still applies after cleanup.
  in.applier().apply("3.0.0");
  check_applied(in, "3.0.0", "2.0.0", "three");
}

TEST_CASE("cleanup keeps a bad version recorded as bad", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  in.applier().rollback("2.0.0", "1.0.0", "crashed");
  in.applier().cleanup();
  CHECK_FALSE(stdfs::exists(in.layout.version_dir("2.0.0")));
  CHECK(in.state("2.0.0") == VersionState::kBad);  // never offered again
  CHECK(stdfs::is_directory(in.layout.version_dir("1.0.0")));
}

TEST_CASE("cleanup removes no version folder when current cannot be read", "[applier]") {
  Install in;
  in.add_installed("0.9.0");
  stdfs::remove(in.layout.current_link());
  in.applier().cleanup();
  CHECK(stdfs::is_directory(in.layout.version_dir("1.0.0")));
  CHECK(stdfs::is_directory(in.layout.version_dir("0.9.0")));
  CHECK(in.state("1.0.0") == VersionState::kGood);
}

TEST_CASE("cleanup of an old folder keeps the manifest of a staged copy of the same version", "[applier]") {
  Install in;
  write_text(in.layout.version_dir("3.0.0") / "app.txt", "stale folder of an earlier install");
  in.stage("3.0.0", "three");
  in.applier().cleanup();
  CHECK_FALSE(stdfs::exists(in.layout.version_dir("3.0.0")));
  CHECK(stdfs::exists(in.layout.manifest_file("3.0.0")));
  in.applier().apply("3.0.0");
  check_applied(in, "3.0.0", "1.0.0", "three");
}

TEST_CASE("cleanup retires an unfinished trial whose folder it removes", "[applier]") {
  Install in;
  // 2.0.0 went on trial but the launcher died before it concluded; 3.0.0 was applied over it.
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  in.stage("3.0.0", "three");
  in.applier().apply("3.0.0");
  in.applier().mark_good("3.0.0");
  in.stage("4.0.0", "four");
  in.applier().apply("4.0.0");
  in.applier().mark_good("4.0.0");
  upkeep::PendingMarker(in.layout).set();
  in.applier().cleanup();
  CHECK_FALSE(stdfs::exists(in.layout.version_dir("2.0.0")));
  CHECK(in.state("2.0.0") == VersionState::kRemoved);
  CHECK_FALSE(in.store->has_pending_work());
  CHECK_FALSE(stdfs::exists(in.layout.pending_marker()));
}

TEST_CASE("the .pending marker is cleared only when no work is left", "[applier]") {
  Install in;
  upkeep::PendingMarker(in.layout).set();
  CHECK(stdfs::exists(in.layout.pending_marker()));
  in.stage("2.0.0", "two");
  in.applier().cleanup();
  CHECK(stdfs::exists(in.layout.pending_marker()));  // a staged version waits
  in.applier().apply("2.0.0");
  in.applier().cleanup();
  CHECK(stdfs::exists(in.layout.pending_marker()));  // a trial waits
  in.applier().mark_good("2.0.0");
  in.applier().cleanup();
  CHECK_FALSE(stdfs::exists(in.layout.pending_marker()));
}

TEST_CASE("staged_version is the newest staged version", "[applier]") {
  Install in;
  CHECK_FALSE(in.applier().staged_version().has_value());
  in.stage("2.0.0", "two");
  in.stage("10.0.0", "ten");
  in.stage("3.0.0", "three");
  in.store->record_staged("not-a-version", "x", "y");
  CHECK(in.applier().staged_version() == std::optional<std::string>("10.0.0"));
  in.store->set_state("10.0.0", VersionState::kRemoved);
  CHECK(in.applier().staged_version() == std::optional<std::string>("3.0.0"));
}

TEST_CASE("applying over a version still on trial rolls back to the last confirmed one", "[applier]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");  // 2.0.0 on trial, never confirmed
  in.stage("3.0.0", "three");
  in.applier().apply("3.0.0");
  CHECK(in.layout.current_version() == "3.0.0");
  CHECK(in.store->get("3.0.0")->previous == "1.0.0");
  CHECK(in.state("2.0.0") == VersionState::kRemoved);
  CHECK(in.store->in_state(VersionState::kTrial).size() == 1);
}

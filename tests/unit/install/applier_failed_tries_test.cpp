// Applier failures that are failed tries of an update (quarantine.h) and
// local faults that are not, with
// real files and a real state database: an apply whose move keeps failing
// is abandoned and quarantined at the K-th try, a staged version that fails
// its check at every apply is quarantined, and a success clears the count.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "install_fixture.h"
#include "upkeep/install/applier.h"

using upkeep::ErrorCode;
using upkeep::JournalOp;
using upkeep::VersionState;
using upkeep::test::error_of;
using upkeep::test::ImmutableDir;
using upkeep::test::Install;
using upkeep::test::kMaxFailures;
using upkeep::test::read_text;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

TEST_CASE("a move into versions/ that keeps failing on a local fault is retried at every start and never counted",
          "[applier][quarantine]") {
  Install in;
  in.stage("2.0.0", "two");
  // As root, permission bits stop nothing: the immutable attribute makes rename(2) into versions/ fail (EPERM).
  ImmutableDir frozen(in.layout.versions_dir());
  if (!frozen.active()) {
    WARN("cannot set the immutable attribute here (needs root and ext4/xfs/btrfs): skipped");
    return;
  }
  auto msg = error_of([&] { in.applier().apply("2.0.0"); }, ErrorCode::kPermission);
  CHECK_THAT(msg, Catch::Contains("versions/2.0.0") && Catch::Contains("Operation not permitted"));
  CHECK_THAT(msg, !Catch::Contains("failed try"));
  // Before the point of no return: nothing visible changed, the journal waits for the next start.
  CHECK(in.layout.current_version() == "1.0.0");
  REQUIRE(in.store->journal().has_value());
  CHECK(in.store->journal()->op == JournalOp::kApply);
  CHECK(in.state("2.0.0") == VersionState::kStaged);
  CHECK(stdfs::is_directory(in.layout.staged_dir("2.0.0")));

  // More starts than K: the fault is this machine's, not the release's.
  for (int i = 0; i < kMaxFailures + 1; ++i) {
    msg = error_of([&] { in.applier().recover(); }, ErrorCode::kPermission);
    CHECK_THAT(msg, !Catch::Contains("failed try"));
  }
  CHECK(in.store->failure_count("2.0.0") == 0);
  CHECK(in.store->journal().has_value());
  CHECK(in.state("2.0.0") == VersionState::kStaged);

  // The fault gone, the next start finishes the apply.
  frozen.release();
  CHECK(in.applier().recover());
  CHECK(in.layout.current_version() == "2.0.0");
  CHECK(in.state("2.0.0") == VersionState::kTrial);
  CHECK_FALSE(in.store->journal().has_value());
}

TEST_CASE("a staged version failing its check at every apply is quarantined at the K-th, re-staging keeps the count",
          "[applier][quarantine]") {
  Install in;
  for (int i = 1; i <= kMaxFailures; ++i) {
    INFO("try " << i);
    in.stage("2.0.0", "two");  // the next check downloads and stages it again
    CHECK(in.store->failure_count("2.0.0") == i - 1);
    // Something (a cleaner, a file system that folds names) changes the staged folder each time.
    write_text(in.layout.staged_dir("2.0.0") / "extra.so", "x");
    auto msg = error_of([&] { in.applier().apply("2.0.0"); }, ErrorCode::kVerification);
    CHECK_THAT(msg, Catch::Contains("extra.so") &&
                        Catch::Contains("failed try " + std::to_string(i) + " of " + std::to_string(kMaxFailures)));
    CHECK_FALSE(stdfs::exists(in.layout.staged_dir("2.0.0")));
    CHECK(in.layout.current_version() == "1.0.0");
    CHECK(in.state("2.0.0") == (i < kMaxFailures ? VersionState::kRemoved : VersionState::kQuarantined));
  }
  CHECK(in.has_event("quarantined", "2.0.0"));
  CHECK_THAT(in.store->get("2.0.0")->reason, Catch::Contains("extra.so"));
  CHECK_FALSE(in.store->has_pending_work());
}

TEST_CASE("a successful apply clears the failure count", "[applier][quarantine]") {
  Install in;
  in.stage("2.0.0", "two");
  write_text(in.layout.staged_dir("2.0.0") / "extra.so", "x");
  error_of([&] { in.applier().apply("2.0.0"); }, ErrorCode::kVerification);
  REQUIRE(in.store->failure_count("2.0.0") == 1);
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  CHECK(in.state("2.0.0") == VersionState::kTrial);
  CHECK(in.store->failure_count("2.0.0") == 0);
  CHECK(in.store->failures().empty());
}

TEST_CASE("cleanup keeps both versions of an apply that could not be finished", "[applier][quarantine]") {
  Install in;
  in.stage("2.0.0", "two");
  in.applier().apply("2.0.0");
  in.applier().mark_good("2.0.0");
  in.stage("3.0.0", "three");
  // An apply of 3.0.0 over 2.0.0 that switched `current` but could not record it.
  in.store->journal_begin(JournalOp::kApply, "3.0.0", "2.0.0");
  stdfs::rename(in.layout.staged_dir("3.0.0"), in.layout.version_dir("3.0.0"));
  in.layout.switch_current("3.0.0");
  in.applier().cleanup();
  // 3.0.0 (current, unrecorded) and 2.0.0 (what the launcher starts meanwhile) both stay.
  CHECK(stdfs::is_directory(in.layout.version_dir("3.0.0")));
  CHECK(stdfs::is_directory(in.layout.version_dir("2.0.0")));
  CHECK_FALSE(stdfs::exists(in.layout.version_dir("1.0.0")));
  CHECK(in.applier().recover());
  CHECK(in.state("3.0.0") == VersionState::kTrial);
  CHECK(in.store->get("3.0.0")->previous == "2.0.0");
}

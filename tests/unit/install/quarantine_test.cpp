// Quarantine with a real state database: which errors count as a failed try
// of an update, and what the K-th failed try records.
#include "upkeep/install/quarantine.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::Quarantine;
using upkeep::StateStore;
using upkeep::VersionState;
using upkeep::test::TempDir;

TEST_CASE("the update's own failures count as failed tries, the surroundings' do not", "[quarantine]") {
  for (ErrorCode c : {ErrorCode::kFailure, ErrorCode::kVerification, ErrorCode::kNotFound, ErrorCode::kBadInput,
                      ErrorCode::kExists}) {
    INFO(static_cast<int>(c));
    CHECK(upkeep::counts_as_failed_try(Error(c, "x")));
  }
  for (ErrorCode c : {ErrorCode::kNetwork, ErrorCode::kNoSpace, ErrorCode::kLockTimeout, ErrorCode::kUsage,
                      ErrorCode::kDowngrade, ErrorCode::kNoRunnableVersion, ErrorCode::kOk}) {
    INFO(static_cast<int>(c));
    CHECK_FALSE(upkeep::counts_as_failed_try(Error(c, "x")));
  }
  // Bad luck whatever the code: bytes the network changed, a refusal of this machine's file system.
  for (ErrorCode c : {ErrorCode::kFailure, ErrorCode::kVerification, ErrorCode::kNotFound}) {
    INFO(static_cast<int>(c));
    CHECK_FALSE(upkeep::counts_as_failed_try(Error(c, "x", upkeep::Fault::kDelivery)));
    CHECK_FALSE(upkeep::counts_as_failed_try(Error(c, "x", upkeep::Fault::kLocal)));
  }
}

TEST_CASE("clearing a quarantine offers the version again with no failed tries, and says who cleared it",
          "[quarantine]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  Quarantine q(store, 1);
  CHECK_THROWS_AS(q.clear("2.0.0", "admin"), Error);
  CHECK(q.count_failed_try("2.0.0", Error(ErrorCode::kBadInput, "not a zip")).quarantined);
  q.clear("2.0.0", "admin");
  CHECK_FALSE(q.is_quarantined("2.0.0"));
  CHECK(store.get("2.0.0")->state == VersionState::kRemoved);
  CHECK(store.failure_count("2.0.0") == 0);
  CHECK(store.events(1).at(0).kind == "quarantine_cleared");
  CHECK(store.events(1).at(0).detail == "by admin");
  // Counted afresh: one more K-th try quarantines it again.
  CHECK(q.count_failed_try("2.0.0", Error(ErrorCode::kBadInput, "not a zip")).quarantined);
}

TEST_CASE("the K-th failed try quarantines the version with the last error", "[quarantine]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.record_staged("2.0.0", "x", "listing");
  Quarantine q(store, 3);

  auto v = q.count_failed_try("2.0.0", Error(ErrorCode::kVerification, "SHA-256 mismatch"));
  CHECK(v.counted);
  CHECK(v.failures == 1);
  CHECK_FALSE(v.quarantined);
  CHECK(v.describe("2.0.0") == "failed try 1 of 3");
  CHECK(v.annotate("boom", "2.0.0") == "boom (failed try 1 of 3)");
  CHECK(store.get("2.0.0")->state == VersionState::kStaged);

  // Environmental failures in between change nothing.
  for (ErrorCode c : {ErrorCode::kNetwork, ErrorCode::kNoSpace, ErrorCode::kLockTimeout}) {
    auto env = q.count_failed_try("2.0.0", Error(c, "connection refused"));
    CHECK_FALSE(env.counted);
    CHECK(env.describe("2.0.0").empty());
    CHECK(env.annotate("boom", "2.0.0") == "boom");
  }
  CHECK(store.failure_count("2.0.0") == 1);

  CHECK(q.count_failed_try("2.0.0", Error(ErrorCode::kBadInput, "not a zip")).failures == 2);
  CHECK_FALSE(q.is_quarantined("2.0.0"));
  v = q.count_failed_try("2.0.0", Error(ErrorCode::kFailure, "rename: Operation not permitted"));
  CHECK(v.quarantined);
  CHECK(v.failures == 3);
  CHECK(v.describe("2.0.0") == "failed try 3 of 3: 2.0.0 is quarantined and will not be tried again");
  CHECK(q.is_quarantined("2.0.0"));
  auto r = store.get("2.0.0");
  CHECK(r->state == VersionState::kQuarantined);
  CHECK_THAT(r->reason, Catch::Contains("3 failed tries") && Catch::Contains("rename: Operation not permitted"));
  auto e = store.events(1)[0];
  CHECK(e.kind == "quarantined");
  CHECK(e.version == "2.0.0");
  CHECK_THAT(e.detail, Catch::Contains("rename: Operation not permitted"));
  CHECK(store.failures()[0].last_error == "rename: Operation not permitted");

  // Once quarantined, further failures are not counted again (no second event).
  CHECK_FALSE(q.count_failed_try("2.0.0", Error(ErrorCode::kFailure, "again")).counted);
  CHECK(store.failure_count("2.0.0") == 3);
  CHECK(store.events(1)[0].kind == "quarantined");
  CHECK(store.events(10).size() == 2);  // staged, quarantined
}

TEST_CASE("a version never recorded is quarantined too, and K = 1 quarantines at once", "[quarantine]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  auto v = Quarantine(store, 1).count_failed_try("4.0.0", Error(ErrorCode::kVerification, "bad manifest"));
  CHECK(v.quarantined);
  CHECK(v.describe("4.0.0") == "failed try 1 of 1: 4.0.0 is quarantined and will not be tried again");
  REQUIRE(store.get("4.0.0").has_value());
  CHECK(store.get("4.0.0")->state == VersionState::kQuarantined);
}

TEST_CASE("the K-th failed try abandons an apply of the version in the journal, and only then", "[quarantine]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.journal_begin(upkeep::JournalOp::kApply, "2.0.0", "1.0.0");
  Quarantine q(store, 2);
  CHECK_FALSE(q.count_failed_try("2.0.0", Error(ErrorCode::kFailure, "rename failed")).quarantined);
  CHECK(store.journal().has_value());  // the next start finishes it
  CHECK_FALSE(q.count_failed_try("2.0.0", Error(ErrorCode::kNetwork, "not counted")).counted);
  CHECK(store.journal().has_value());
  CHECK(q.count_failed_try("2.0.0", Error(ErrorCode::kFailure, "rename failed")).quarantined);
  CHECK_FALSE(store.journal().has_value());
}

TEST_CASE("a quarantine leaves another version's journal alone", "[quarantine]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.journal_begin(upkeep::JournalOp::kApply, "3.0.0", "1.0.0");
  CHECK(Quarantine(store, 1).count_failed_try("2.0.0", Error(ErrorCode::kVerification, "bad")).quarantined);
  REQUIRE(store.journal().has_value());
  CHECK(store.journal()->version == "3.0.0");
}

#include "upkeep/install/refused_versions.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::JournalOp;
using upkeep::RefusedVersions;
using upkeep::StateStore;
using upkeep::VersionState;
using upkeep::test::TempDir;

TEST_CASE("bad, quarantined and being-rolled-back versions are refused, with why", "[refused_versions]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.record_installed("1.0.0", "sha");
  store.record_staged("2.0.0", "sha", "listing");
  store.set_state("2.0.0", VersionState::kBad, "crashed on start");
  store.record_quarantined("3.0.0", "3 failed tries");
  store.record_staged("4.0.0", "sha", "listing");
  store.begin_trial("4.0.0", "1.0.0");
  store.record_staged("5.0.0", "sha", "listing");
  store.record_staged("6.0.0", "sha", "listing");
  store.set_state("6.0.0", VersionState::kRemoved);
  store.journal_begin(JournalOp::kRollback, "4.0.0", "1.0.0");

  RefusedVersions refused(store);
  CHECK(refused.why("2.0.0") == std::optional<std::string>("marked bad"));
  CHECK(refused.why("3.0.0") == std::optional<std::string>("quarantined"));
  CHECK(refused.why("4.0.0") == std::optional<std::string>("being rolled back"));  // still kTrial in its record
  for (const char* v : {"1.0.0", "5.0.0", "6.0.0", "9.9.9"}) {
    CHECK_FALSE(refused.why(v).has_value());
    CHECK_FALSE(refused.contains(v));
  }
  CHECK(refused.contains("2.0.0"));
  CHECK(refused.versions() == std::set<std::string>{"2.0.0", "3.0.0", "4.0.0"});
}

TEST_CASE("an apply in the journal does not refuse its version", "[refused_versions]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  store.record_staged("2.0.0", "sha", "listing");
  store.journal_begin(JournalOp::kApply, "2.0.0", "1.0.0");
  CHECK(RefusedVersions(store).versions().empty());
}

TEST_CASE("RefusedVersions is a snapshot: later writes are not seen", "[refused_versions]") {
  TempDir dir;
  StateStore store(dir / "state.db");
  RefusedVersions before(store);
  store.record_quarantined("2.0.0", "bad");
  CHECK_FALSE(before.contains("2.0.0"));
  CHECK(RefusedVersions(store).contains("2.0.0"));
}

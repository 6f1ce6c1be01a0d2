#include "upkeep/install/pending_marker.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::Layout;
using upkeep::PendingMarker;
using upkeep::StateStore;
using upkeep::test::TempDir;
namespace stdfs = std::filesystem;

TEST_CASE("PendingMarker::set creates <root>/.pending and is idempotent", "[pending_marker]") {
  TempDir dir;
  Layout layout(dir.path());
  PendingMarker marker(layout);
  CHECK_FALSE(marker.is_set());
  marker.set();
  CHECK(marker.is_set());
  CHECK(stdfs::exists(layout.pending_marker()));
  marker.set();
  CHECK(marker.is_set());
}

TEST_CASE("PendingMarker::clear_if_idle keeps the marker while the store has work", "[pending_marker]") {
  TempDir dir;
  Layout layout(dir.path());
  StateStore store(layout.state_db());
  PendingMarker marker(layout);
  marker.clear_if_idle(store);  // absent: fine
  CHECK_FALSE(marker.is_set());

  marker.set();
  store.record_staged("2.0.0", "sha", "listing");
  marker.clear_if_idle(store);
  CHECK(marker.is_set());  // a staged version waits for the launcher

  store.set_state("2.0.0", upkeep::VersionState::kRemoved);
  marker.clear_if_idle(store);
  CHECK_FALSE(marker.is_set());
  CHECK_FALSE(stdfs::exists(layout.pending_marker()));
}

// CheckBackoff with a real state database and a fixed clock: the hold after
// each failed check doubles with jitter up to a day, survives reopening the
// database (a restart), and a success resets it.
#include "upkeep/install/check_backoff.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::CheckBackoff;
using upkeep::FixedClock;
using upkeep::StateStore;
using upkeep::test::TempDir;

TEST_CASE("failed checks hold automatic checks back longer each time, durably, until one succeeds", "[check_backoff]") {
  TempDir dir;
  FixedClock clock(FixedClock::at_unix(1'700'000'000));
  {
    StateStore store(dir / "state.db");
    CheckBackoff b(store, clock);
    CHECK(b.remaining_seconds() == 0);
    CHECK(b.describe().empty());
    CHECK(b.failed(1.0) == 300);  // all of the first step: 5 min
    CHECK(b.failed(0.0) == 300);  // half of the second: 10 min / 2
    CHECK(b.failed(0.5) == 900);  // 20 min: between 10 and 20
    CHECK(b.failures() == 3);
    CHECK(b.remaining_seconds() == 900);
  }
  {
    // A restart (a new process) sees the same hold.
    StateStore store(dir / "state.db");
    CheckBackoff b(store, clock);
    CHECK(b.remaining_seconds() == 900);
    CHECK(b.describe() == "the last 3 update check(s) failed; the next automatic check waits 15 min");
    CHECK(CheckBackoff::read(dir / "state.db", clock).description == b.describe());
    CHECK(CheckBackoff::read(dir / "state.db", clock).seconds == 900);
    clock.advance(std::chrono::seconds(600));
    CHECK(b.remaining_seconds() == 300);
    for (int i = 0; i < 20; ++i) b.failed(1.0);
    CHECK(b.remaining_seconds() == CheckBackoff::kCapSeconds);  // capped at a day
    b.succeeded();
    CHECK(b.failures() == 0);
    CHECK(b.remaining_seconds() == 0);
    CHECK(CheckBackoff::read(dir / "state.db", clock).description.empty());
  }
  CHECK(CheckBackoff::read(dir / "none.db", clock).description.empty());
}

#include "upkeep/watch/quiet_period.h"

#include <catch2/catch.hpp>

using upkeep::FixedClock;
using upkeep::watch::QuietPeriod;
using namespace std::chrono_literals;

TEST_CASE("QuietPeriod: nothing pending until a change, due a quiet period after the last one",
          "[watch][quiet_period]") {
  FixedClock clock(FixedClock::at_unix(1'700'000'000));
  QuietPeriod q(2000ms, clock);
  CHECK_FALSE(q.pending());
  CHECK_FALSE(q.due());
  CHECK_FALSE(q.time_left().has_value());

  q.note_change();
  CHECK(q.pending());
  CHECK(q.time_left() == 2000ms);
  clock.advance(1999ms);
  CHECK_FALSE(q.due());
  CHECK(q.time_left() == 1ms);
  clock.advance(1ms);
  CHECK(q.due());
  CHECK(q.time_left() == 0ms);
  q.succeeded();
  CHECK_FALSE(q.pending());
}

TEST_CASE("QuietPeriod: a burst of hundreds of changes over seconds is acted on once, after it ends",
          "[watch][quiet_period]") {
  FixedClock clock(FixedClock::at_unix(1'700'000'000));
  QuietPeriod q(2000ms, clock);
  int actions = 0;
  // 600 files over 6 seconds, one every 10 ms, then silence; the loop checks at each step.
  for (int i = 0; i < 600; ++i) {
    q.note_change();
    clock.advance(10ms);
    if (q.due()) ++actions, q.succeeded();
  }
  CHECK(actions == 0);
  for (int step = 0; step < 1000; ++step) {  // 10 s of quiet in 10 ms steps
    clock.advance(10ms);
    if (q.due()) ++actions, q.succeeded();
  }
  CHECK(actions == 1);
}

TEST_CASE("QuietPeriod: failures back off, doubling up to the cap, a change retries a quiet period after it",
          "[watch][quiet_period]") {
  FixedClock clock(FixedClock::at_unix(1'700'000'000));
  QuietPeriod q(1000ms, clock, 5000ms);
  q.note_change();
  clock.advance(1000ms);
  REQUIRE(q.due());
  CHECK(q.failed() == 1000ms);
  CHECK(q.failed() == 2000ms);
  CHECK(q.failed() == 4000ms);
  CHECK(q.failed() == 5000ms);  // capped
  CHECK(q.failures_in_a_row() == 4);
  CHECK(q.time_left() == 5000ms);
  q.note_change();  // the build was fixed: tried a quiet period after the change
  CHECK(q.time_left() == 1000ms);
  clock.advance(1000ms);
  CHECK(q.due());
  q.succeeded();
  CHECK(q.failures_in_a_row() == 0);
  q.note_change();
  clock.advance(1000ms);
  CHECK(q.failed() == 1000ms);  // the backoff started over
}

#include "upkeep/update/restart_escalation.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "upkeep/platform/clock.h"

using namespace upkeep;
using namespace std::chrono_literals;
using Action = RestartEscalation::Action;

namespace {

const Clock::TimePoint kStaged = Clock::TimePoint(std::chrono::seconds(1'750'000'000));

// The escalation of a version staged at kStaged, on a clock the test moves.
struct Fixture {
  explicit Fixture(RestartPrompt prompt, std::chrono::hours deadline = 24h,
                   std::chrono::system_clock::duration started_after = 0s)
      : clock(std::make_shared<FixedClock>(kStaged + started_after)), escalation(prompt, deadline, kStaged, clock) {}
  std::shared_ptr<FixedClock> clock;
  RestartEscalation escalation;

  RestartEscalation::Step at(std::chrono::system_clock::duration since_staged) {
    clock->set(kStaged + since_staged);
    return escalation.poll();
  }
};

// What happened at each wake-up, as minutes since staging.
struct Seen {
  long minute;
  Action action;
  long left_minutes;
  bool operator==(const Seen& o) const {
    return minute == o.minute && action == o.action && left_minutes == o.left_minutes;
  }
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << "{" << s.minute << " min, action " << static_cast<int>(s.action) << ", " << s.left_minutes
            << " min left}";
}

long minutes_since_staged(Clock::TimePoint t) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::minutes>(t - kStaged).count());
}

// Polls at each wake time the escalation gives until it says kRestart (or 100 steps).
std::vector<Seen> follow(Fixture& f) {
  std::vector<Seen> seen;
  auto step = f.escalation.poll();
  for (int i = 0; i < 100; ++i) {
    seen.push_back({minutes_since_staged(f.clock->now()), step.action,
                    static_cast<long>(std::chrono::duration_cast<std::chrono::minutes>(step.left).count())});
    if (step.action == Action::kRestart || !step.wake) break;
    f.clock->set(*step.wake);
    step = f.escalation.poll();
  }
  return seen;
}

}  // namespace

TEST_CASE("ask: asks once, then never reminds and never forces", "[restart_escalation]") {
  Fixture f(RestartPrompt::kAsk);
  auto first = f.at(0s);
  CHECK(first.action == Action::kAsk);
  CHECK_FALSE(first.wake);
  CHECK(f.at(1h).action == Action::kNone);
  CHECK(f.at(24h * 30).action == Action::kNone);  // far past any deadline
  CHECK_FALSE(f.escalation.restart_at());
}

TEST_CASE("notify: a notice, then a reminder every hour, never a restart", "[restart_escalation]") {
  Fixture f(RestartPrompt::kNotify);
  auto first = f.at(0s);
  CHECK(first.action == Action::kNotify);
  REQUIRE(first.wake);
  CHECK(*first.wake == kStaged + RestartEscalation::kReminderInterval);
  auto early = f.at(59min);  // an event woke the UI before the reminder was due
  CHECK(early.action == Action::kNone);
  CHECK(early.wake == first.wake);
  CHECK(f.at(60min).action == Action::kRemind);
  // A suspended machine wakes 10 hours later: one reminder, the next an hour after it.
  auto late = f.at(11h);
  CHECK(late.action == Action::kRemind);
  CHECK(late.wake == kStaged + 12h);
  CHECK(f.at(720h).action == Action::kRemind);
  CHECK(f.at(10000h).action == Action::kRemind);
  CHECK_FALSE(f.escalation.restart_at());
}

TEST_CASE("forced: hourly reminders, then 60, 15 and 1 minute before the deadline, then the restart",
          "[restart_escalation]") {
  Fixture f(RestartPrompt::kForced, 24h);
  REQUIRE(f.escalation.restart_at() == kStaged + 24h);
  std::vector<Seen> expected{{0, Action::kNotify, 24 * 60}};
  for (long m = 60; m <= 23 * 60; m += 60) expected.push_back({m, Action::kRemind, 24 * 60 - m});
  expected.push_back({24 * 60 - 15, Action::kRemind, 15});
  expected.push_back({24 * 60 - 1, Action::kRemind, 1});
  expected.push_back({24 * 60, Action::kRestart, 0});
  CHECK(follow(f) == expected);
}

TEST_CASE("forced: the deadline counts from when the version was staged, not from the start", "[restart_escalation]") {
  // Staged, the application quit without applying it, and started again 23.5 hours later.
  Fixture f(RestartPrompt::kForced, 24h, 23h + 30min);
  CHECK(follow(f) == std::vector<Seen>{{23 * 60 + 30, Action::kNotify, 30},
                                       {24 * 60 - 15, Action::kRemind, 15},
                                       {24 * 60 - 1, Action::kRemind, 1},
                                       {24 * 60, Action::kRestart, 0}});
}

TEST_CASE("forced: the shortest deadline warns at 15 and 1 minute", "[restart_escalation]") {
  Fixture f(RestartPrompt::kForced, 1h);
  CHECK(follow(f) ==
        std::vector<Seen>{
            {0, Action::kNotify, 60}, {45, Action::kRemind, 15}, {59, Action::kRemind, 1}, {60, Action::kRestart, 0}});
}

TEST_CASE("forced: past the deadline at the first poll restarts at once", "[restart_escalation]") {
  Fixture f(RestartPrompt::kForced, 1h, 2h);
  auto step = f.escalation.poll();
  CHECK(step.action == Action::kRestart);
  CHECK(step.left == 0s);
  // Due again, should it not happen; the wake-up before is the last minute's warning.
  CHECK(f.escalation.restart_at() == kStaged + 2h + RestartEscalation::kSaveRetry);
  CHECK(step.wake == kStaged + 2h + RestartEscalation::kSaveRetry - 1min);
}

TEST_CASE("forced: a second before the deadline is a notice, the deadline itself the restart", "[restart_escalation]") {
  Fixture f(RestartPrompt::kForced, 24h, 24h - 1s);
  auto step = f.escalation.poll();
  CHECK(step.action == Action::kNotify);
  CHECK(step.left == 1s);
  CHECK(step.wake == kStaged + 24h);
  CHECK(f.at(24h).action == Action::kRestart);
}

TEST_CASE("forced: a staging time in the future (a clock set back) counts as now", "[restart_escalation]") {
  auto clock = std::make_shared<FixedClock>(kStaged);
  RestartEscalation e(RestartPrompt::kForced, 2h, kStaged + 100h, clock);
  CHECK(e.restart_at() == kStaged + 2h);
  CHECK(e.poll().left == 2h);
}

TEST_CASE("the save hook: saved, refused or throwing, and a failed save delays the forced restart by 5 minutes",
          "[restart_escalation]") {
  Fixture f(RestartPrompt::kForced, 1h, 3h);
  REQUIRE(f.escalation.poll().action == Action::kRestart);

  auto thrown = f.escalation.save_before_restart([]() -> bool { throw std::runtime_error("disk full"); });
  CHECK_FALSE(thrown.saved);
  CHECK(thrown.error == "disk full");
  auto refused = f.escalation.save_before_restart([] { return false; });
  CHECK_FALSE(refused.saved);
  CHECK(refused.error == "the application could not save it");
  CHECK(f.escalation.save_failures() == 2);

  // Not restarted: the restart is due again 5 minutes later, with a last warning a minute before.
  CHECK(f.at(3h + 2min).action == Action::kNone);
  auto warning = f.at(3h + 4min);
  CHECK(warning.action == Action::kRemind);
  CHECK(warning.left == 1min);
  CHECK(f.at(3h + 5min).action == Action::kRestart);
  int calls = 0;
  auto saved = f.escalation.save_before_restart([&] { return ++calls == 1; });
  CHECK(saved.saved);
  CHECK(saved.error.empty());
  CHECK(calls == 1);
  CHECK(f.escalation.save_failures() == 2);
  CHECK(f.escalation.save_before_restart(nullptr).saved);  // an application with nothing to save
}

TEST_CASE("the time left is described to the nearest minute", "[restart_escalation]") {
  CHECK(RestartEscalation::describe(0s) == "less than a minute");
  CHECK(RestartEscalation::describe(29s) == "less than a minute");
  CHECK(RestartEscalation::describe(59s) == "1 minute");
  CHECK(RestartEscalation::describe(15min - 2s) == "15 minutes");  // woken a moment late
  CHECK(RestartEscalation::describe(60min) == "1 hour");
  CHECK(RestartEscalation::describe(90min) == "1 hour 30 minutes");
  CHECK(RestartEscalation::describe(121min) == "2 hours");
  CHECK(RestartEscalation::describe(24h - 1s) == "24 hours");
  CHECK(RestartEscalation::describe(-5s) == "less than a minute");
}

// RestartPolicy on a FixedClock: the deadline counts from the staging time
// in the state store; ask asks once (never headless); notify and forced
// notice, remind and (forced) restart; the save hook comes before every
// restart and a failed save blocks it; the headless rule at exit.
#include "upkeep/update/restart_policy.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/clock.h"
#include "upkeep/platform/process.h"
#include "upkeep/policy/quiet_hours.h"

using namespace upkeep;
using namespace upkeep::test;
using namespace std::chrono_literals;
using Action = RestartEscalation::Action;

namespace {

// Records the restart calls as short strings; answers the question as told.
class RecordingObserver : public UpdateObserver {
 public:
  void on_restart_notice(const RestartNotice& n) override {
    seen.push_back(std::string(n.action == Action::kNotify   ? "notify "
                               : n.action == Action::kRemind ? "remind "
                                                             : "restart ") +
                   n.version + (n.forced ? " left " + RestartEscalation::describe(n.left) : ""));
    last = n;
  }
  bool on_restart_question(const std::string& version) override {
    seen.push_back("ask " + version);
    return answer;
  }
  void on_nothing_to_restart_for() override { seen.push_back("nothing"); }
  void on_restart_blocked(const std::string& error, std::optional<std::chrono::minutes> retry_in) override {
    seen.push_back("blocked " + error + (retry_in ? " retry " + RestartEscalation::describe(*retry_in) : ""));
  }
  void on_restarting(const std::string& version) override { seen.push_back("restarting " + version); }

  std::vector<std::string> seen;
  RestartNotice last;
  bool answer = false;
};

// An install whose state store has version 2.0.0 staged, a clock at its
// staging time, and a policy over them with a save hook that counts.
struct Fixture {
  explicit Fixture(RestartPrompt prompt, bool headless = false) : layout(dir.path()) {
    {
      StateStore store(layout.state_db());
      store.record_staged("2.0.0", "m", "l");
      staged = Clock::TimePoint(std::chrono::seconds(store.get("2.0.0")->updated_at));
    }
    clock->set(staged);
    settings.restart_prompt = prompt;
    settings.restart_deadline_hours = 2;
    settings.sources["restart_prompt"] = SettingSource{SettingSource::Kind::kPolicy, "/etc/p.json", ""};
    this->headless = headless;
  }
  RestartPolicy& policy() {
    if (!made)
      made.emplace(
          layout, settings, headless, [this] { return save(); }, observer, clock);
    return *made;
  }
  bool save() {
    ++saves;
    if (save_error) throw std::runtime_error("disk full");
    return true;
  }

  TempDir dir;
  Layout layout;
  Clock::TimePoint staged;
  std::shared_ptr<FixedClock> clock = std::make_shared<FixedClock>(12 * 60);
  UpdateSettings settings;
  bool headless = false;
  RecordingObserver observer;
  int saves = 0;
  bool save_error = false;
  std::optional<RestartPolicy> made;
};

}  // namespace

TEST_CASE("restart policy: the deadline counts from the staging time in the state store", "[restart]") {
  Fixture f(RestartPrompt::kForced);
  f.clock->set(f.staged + 90min);  // the application started long after staging
  auto& p = f.policy();
  p.staged("2.0.0");
  CHECK_FALSE(p.poll());
  CHECK(f.observer.seen == std::vector<std::string>{"notify 2.0.0 left 30 minutes"});
  CHECK(f.observer.last.restart_at == f.staged + 2h);
  CHECK(f.observer.last.required_by == "policy /etc/p.json");
  REQUIRE(p.wake());
  CHECK(*p.wake() == f.staged + 2h - 15min);  // the next final warning

  // A later check that finds the version staged again does not move the deadline.
  p.staged("2.0.0");
  f.clock->set(f.staged + 2h);
  CHECK(p.poll());
  CHECK(f.observer.seen.back() == "restart 2.0.0 left less than a minute");
  CHECK(f.saves == 1);
  CHECK(p.at_exit());  // the restart poll() decided holds
  CHECK(f.saves == 1);
}

TEST_CASE("restart policy: a version the state store does not know counts from now", "[restart]") {
  Fixture f(RestartPrompt::kForced);
  CHECK(RestartPolicy::staged_at(f.layout, "9.9.9", *f.clock) == f.clock->now());
  TempDir empty;  // no state.db at all: read-only opening fails, logged
  CHECK(RestartPolicy::staged_at(Layout(empty.path() / "missing"), "2.0.0", *f.clock) == f.clock->now());
  CHECK(RestartPolicy::staged_at(f.layout, "2.0.0", *f.clock) == f.staged);
}

TEST_CASE("restart policy: ask asks once: yes saves the work and restarts, no waits for the next start", "[restart]") {
  for (bool yes : {true, false}) {
    Fixture f(RestartPrompt::kAsk);
    f.observer.answer = yes;
    auto& p = f.policy();
    CHECK_FALSE(p.reads_typed_lines());  // the question reads its own answer
    CHECK_FALSE(p.poll());               // nothing staged yet
    p.staged("2.0.0");
    CHECK(p.poll() == yes);
    CHECK(f.observer.seen == std::vector<std::string>{"ask 2.0.0"});
    CHECK(f.saves == (yes ? 1 : 0));
    CHECK_FALSE(p.wake());  // ask never reminds
    if (!yes) {
      CHECK_FALSE(p.poll());
      CHECK(f.observer.seen.size() == 1);
      CHECK_FALSE(p.at_exit());  // not headless: nothing at exit
    }
  }
}

TEST_CASE("restart policy: notify tells, reminds, and restarts only when the user asks", "[restart]") {
  Fixture f(RestartPrompt::kNotify);
  auto& p = f.policy();
  CHECK(p.reads_typed_lines());
  CHECK_FALSE(p.poll(true));
  CHECK(f.observer.seen == std::vector<std::string>{"nothing"});
  p.staged("2.0.0");
  CHECK_FALSE(p.poll());
  f.clock->set(*p.wake());
  CHECK_FALSE(p.poll());
  CHECK(f.observer.seen == std::vector<std::string>{"nothing", "notify 2.0.0", "remind 2.0.0"});
  CHECK(p.poll(true));
  CHECK(f.saves == 1);
}

TEST_CASE("restart policy: a failed save blocks the restart, and the deadline's own comes again", "[restart]") {
  Fixture f(RestartPrompt::kForced);
  f.save_error = true;
  f.clock->set(f.staged + 3h);
  auto& p = f.policy();
  p.staged("2.0.0");
  CHECK_FALSE(p.poll());
  CHECK(f.observer.seen.back() == "blocked disk full retry 5 minutes");
  REQUIRE(p.wake());
  CHECK(*p.wake() <= f.clock->now() + RestartEscalation::kSaveRetry);
  CHECK_FALSE(p.poll(true));  // asked by the user: not retried by itself
  CHECK(f.observer.seen.back() == "blocked disk full");
  f.save_error = false;
  f.clock->set(f.staged + 3h + RestartEscalation::kSaveRetry);
  CHECK(p.poll());
  CHECK(f.saves == 3);
}

TEST_CASE("restart policy: headless asks nothing and restarts at exit where policy lets it", "[restart]") {
  SECTION("ask, automatic, outside quiet hours: saved, then restart") {
    Fixture f(RestartPrompt::kAsk, true);
    auto& p = f.policy();
    CHECK_FALSE(p.reads_typed_lines());
    CHECK_FALSE(p.at_exit());  // nothing staged
    p.staged("2.0.0");
    CHECK_FALSE(p.poll());
    CHECK(f.observer.seen.empty());
    CHECK(p.at_exit());
    CHECK(f.saves == 1);
  }
  SECTION("the save fails: no restart") {
    Fixture f(RestartPrompt::kForced, true);
    f.save_error = true;
    f.policy().staged("2.0.0");
    CHECK_FALSE(f.policy().at_exit());
    CHECK(f.observer.seen.back() == "blocked disk full");
  }
  SECTION("notify, download_only or quiet hours: no restart") {
    Fixture notify(RestartPrompt::kNotify, true);
    Fixture download_only(RestartPrompt::kAsk, true);
    download_only.settings.mode = UpdateMode::kDownloadOnly;
    Fixture quiet(RestartPrompt::kAsk, true);
    quiet.settings.quiet_hours = QuietHours::parse("11:00-13:00");  // the clock says 12:00
    for (Fixture* f : {&notify, &download_only, &quiet}) {
      f->policy().staged("2.0.0");
      CHECK_FALSE(f->policy().at_exit());
      CHECK(f->saves == 0);
    }
  }
}

TEST_CASE("restart policy: the hand-over starts UPKEEP_LAUNCHER with the new version's arguments", "[restart]") {
  Fixture f(RestartPrompt::kAsk);
  CHECK(error_of([&] { f.policy().restart({}); }, ErrorCode::kNotFound).find("no update") != std::string::npos);
  f.policy().staged("2.0.0");
  ::unsetenv(env::kLauncher);
  CHECK(error_of([&] { f.policy().restart({}); }, ErrorCode::kNotFound).find("launcher") != std::string::npos);
  CHECK(f.observer.seen.empty());  // not reported as restarting

  // Stands in for the launcher: records what it was given.
  stdfs::path launcher = f.dir / "launcher";
  stdfs::path report = f.dir / "report";
  write_text(launcher, "#!/bin/sh\necho \"$*\" > " + report.string() + ".tmp && mv " + report.string() + ".tmp " +
                           report.string() + "\n");
  stdfs::permissions(launcher, stdfs::perms::owner_all);
  ::setenv(env::kLauncher, launcher.c_str(), 1);
  const int64_t pid = f.policy().restart({"--headless"});
  ::unsetenv(env::kLauncher);
  CHECK(f.observer.seen == std::vector<std::string>{"restarting 2.0.0"});
  CHECK(process::wait_child(pid).success());  // the stand-in has written its report
  CHECK(read_text(report) == "--upkeep-after-pid " + std::to_string(::getpid()) + " --headless\n");
}

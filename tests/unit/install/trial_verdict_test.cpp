// The health rules' verdicts (trial_verdict.h): what each way a start on
// trial can end proves under confirm, running:N and exit.
#include "upkeep/install/trial_verdict.h"

#include <signal.h>

#include <catch2/catch.hpp>

using namespace upkeep;
using Kind = TrialVerdict::Kind;

namespace {

const HealthRule kConfirm = HealthRule::parse("confirm");
const HealthRule kRunning = HealthRule::parse("running:5");
const HealthRule kExit = HealthRule::parse("exit");

TrialEnd exited(int code, bool within_window = true) {
  return {TrialEnd::Kind::kEnded, {true, code, 0}, within_window, ""};
}
TrialEnd killed(int sig, bool within_window = true) {
  return {TrialEnd::Kind::kEnded, {false, 0, sig}, within_window, ""};
}

}  // namespace

TEST_CASE("a confirmation and an exit with code 0 are healthy under every rule", "[trial_verdict]") {
  for (const auto& rule : {kConfirm, kRunning, kExit}) {
    INFO(rule.to_string());
    CHECK(judge_trial(rule, {TrialEnd::Kind::kConfirmed, {}, true, ""}).kind == Kind::kHealthy);
    CHECK(judge_trial(rule, exited(0)).kind == Kind::kHealthy);
    CHECK(judge_trial(rule, exited(0, false)).kind == Kind::kHealthy);
  }
}

TEST_CASE("what cannot run is evidence under every rule, and nothing that ran is run again under exit",
          "[trial_verdict]") {
  for (const auto& rule : {kConfirm, kRunning, kExit}) {
    INFO(rule.to_string());
    auto not_started = judge_trial(rule, {TrialEnd::Kind::kNotStarted, {}, true, "No such file or directory"});
    CHECK(not_started.kind == Kind::kFailed);
    CHECK(not_started.start_previous_now);  // nothing ran: the previous version runs now, whatever the rule
    CHECK_THAT(not_started.why, Catch::Contains("No such file or directory"));
    for (int code : {126, 127}) {
      auto v = judge_trial(rule, exited(code));
      CHECK(v.kind == Kind::kFailed);
      CHECK(v.start_previous_now == (rule.kind != HealthRule::Kind::kExit));
      CHECK_THAT(v.why, Catch::Contains("exit code " + std::to_string(code)));
    }
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGSYS, SIGTRAP}) {
      INFO("signal " << sig);
      auto v = judge_trial(rule, killed(sig));
      CHECK(v.kind == Kind::kFailed);
      CHECK(v.start_previous_now == (rule.kind != HealthRule::Kind::kExit));
    }
  }
}

TEST_CASE("a kill from outside is no evidence and the start is not counted", "[trial_verdict]") {
  for (const auto& rule : {kConfirm, kRunning, kExit}) {
    for (int sig : {SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGPIPE}) {
      INFO(rule.to_string() << " signal " << sig);
      auto v = judge_trial(rule, killed(sig));
      CHECK(v.kind == Kind::kNoEvidence);
      CHECK_FALSE(v.counted);
    }
    // Other signals prove nothing either, but the start counts.
    auto usr = judge_trial(rule, killed(SIGUSR1));
    CHECK(usr.kind == Kind::kNoEvidence);
    CHECK(usr.counted);
  }
}

TEST_CASE("an end after someone asked the program to end is no evidence, unless it crashed", "[trial_verdict]") {
  for (const auto& rule : {kConfirm, kRunning}) {
    INFO(rule.to_string());
    // The launcher passed a SIGTERM on, and the app cleaned up and exited 1.
    TrialEnd asked = exited(1);
    asked.asked_to_end = SIGTERM;
    auto v = judge_trial(rule, asked);
    CHECK(v.kind == Kind::kNoEvidence);
    CHECK_FALSE(v.counted);
    CHECK_THAT(v.why, Catch::Contains("passed on signal 15"));
    // 128 + SIGTERM, SIGINT, SIGKILL: the runtime's "ended by a signal".
    for (int code : {143, 130, 137}) CHECK(judge_trial(rule, exited(code)).kind == Kind::kNoEvidence);
    // It crashed on its way out: that is its own.
    TrialEnd crashed = killed(SIGSEGV);
    crashed.asked_to_end = SIGTERM;
    CHECK(judge_trial(rule, crashed).kind == Kind::kFailed);
    // 126, 127 and other codes stay evidence without a request to end.
    CHECK(judge_trial(rule, exited(127)).kind == Kind::kFailed);
    CHECK(judge_trial(rule, exited(134)).kind == Kind::kFailed);  // 128 + SIGABRT
  }
}

TEST_CASE("a non-zero exit fails running and confirm but is a command's own answer under exit", "[trial_verdict]") {
  auto tool = judge_trial(kExit, exited(2));
  CHECK(tool.kind == Kind::kHealthy);
  for (const auto& rule : {kConfirm, kRunning}) {
    auto in_window = judge_trial(rule, exited(3));
    CHECK(in_window.kind == Kind::kFailed);
    CHECK(in_window.start_previous_now);
    CHECK_THAT(in_window.why, Catch::Contains("exit code 3"));
    // Past the window (a confirm-rule app that ran on without confirming): failed, but not started again now.
    auto late = judge_trial(rule, exited(3, false));
    CHECK(late.kind == Kind::kFailed);
    CHECK_FALSE(late.start_previous_now);
  }
}

TEST_CASE("alive at the end of the window: healthy under running, undecided under confirm", "[trial_verdict]") {
  CHECK(judge_trial(kRunning, {TrialEnd::Kind::kAlive, {}, true, ""}).kind == Kind::kHealthy);
  CHECK(judge_trial(kConfirm, {TrialEnd::Kind::kAlive, {}, true, ""}).kind == Kind::kUndecided);
}

TEST_CASE("the trial window: N for running, the trial timeout for confirm, none for exit", "[trial_verdict]") {
  CHECK(trial_window(kRunning, 30) == std::chrono::seconds(5));
  CHECK(trial_window(kConfirm, 30) == std::chrono::seconds(30));
  CHECK_FALSE(trial_window(kExit, 30).has_value());
}

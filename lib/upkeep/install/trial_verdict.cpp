#include "upkeep/install/trial_verdict.h"

#include <signal.h>

namespace upkeep {
namespace {

TrialVerdict failed(const HealthRule& rule, const TrialEnd& end, std::string why) {
  TrialVerdict v{TrialVerdict::Kind::kFailed, false, true, std::move(why)};
  // A command that ran is never run a second time; an app the user waits for is started again.
  v.start_previous_now =
      end.kind == TrialEnd::Kind::kNotStarted || (rule.kind != HealthRule::Kind::kExit && end.within_window);
  return v;
}

TrialVerdict judge_end(const HealthRule& rule, const TrialEnd& end) {
  const process::ExitStatus& s = end.status;
  const std::string how = s.describe();
  if (s.success()) return {TrialVerdict::Kind::kHealthy, false, true, how};
  if (!s.exited) {
    if (is_crash_signal(s.signal)) return failed(rule, end, "failed on its first start (" + how + ")");
    if (end.asked_to_end) return {TrialVerdict::Kind::kNoEvidence, false, false, how + " after it was asked to end"};
    return {TrialVerdict::Kind::kNoEvidence, false, !is_outside_kill(s.signal), how};
  }
  if (s.code == 126 || s.code == 127) return failed(rule, end, "could not run (" + how + ")");
  if (rule.kind == HealthRule::Kind::kExit) return {TrialVerdict::Kind::kHealthy, false, true, how};
  // Asked to end (by the launcher passing a signal on, or as its exit code says): no evidence.
  if (end.asked_to_end)
    return {TrialVerdict::Kind::kNoEvidence, false, false,
            how + " after the launcher passed on signal " + std::to_string(end.asked_to_end)};
  if (s.code > 128 && is_outside_kill(s.code - 128))
    return {TrialVerdict::Kind::kNoEvidence, false, false,
            how + " (128 + signal " + std::to_string(s.code - 128) + ")"};
  return failed(rule, end, "failed on its first start (" + how + ")");
}

}  // namespace

TrialVerdict judge_trial(const HealthRule& rule, const TrialEnd& end) {
  switch (end.kind) {
    case TrialEnd::Kind::kNotStarted:
      return failed(rule, end, "could not be started (" + end.detail + ")");
    case TrialEnd::Kind::kConfirmed:
      return {TrialVerdict::Kind::kHealthy, false, true, "confirmed"};
    case TrialEnd::Kind::kAlive:
      if (rule.kind == HealthRule::Kind::kRunning)
        return {TrialVerdict::Kind::kHealthy, false, true, "running after " + std::to_string(rule.seconds) + " s"};
      return {TrialVerdict::Kind::kUndecided, false, true, "no confirmation yet"};
    case TrialEnd::Kind::kEnded:
      break;
  }
  return judge_end(rule, end);
}

std::optional<std::chrono::seconds> trial_window(const HealthRule& rule, int64_t trial_timeout_seconds) {
  switch (rule.kind) {
    case HealthRule::Kind::kRunning:
      return std::chrono::seconds(rule.seconds);
    case HealthRule::Kind::kConfirm:
      return std::chrono::seconds(trial_timeout_seconds);
    case HealthRule::Kind::kExit:
      break;
  }
  return std::nullopt;
}

bool is_crash_signal(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGABRT || sig == SIGFPE || sig == SIGSYS ||
         sig == SIGTRAP;
}

bool is_outside_kill(int sig) {
  return sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGPIPE;
}

}  // namespace upkeep

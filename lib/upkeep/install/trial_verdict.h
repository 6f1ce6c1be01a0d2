// TrialVerdict: what one start of a version on trial proves about the
// release, under the health rule it declares (launch_spec.h). The launcher
// (programs/launcher/trial.h) observes the start; this file decides.
//
// Evidence that a release is broken, under every rule: the program could
// not be executed at all, it exited 126 or 127 (the shell's and the dynamic
// loader's "cannot run"), or it died of SIGSEGV, SIGBUS, SIGILL, SIGABRT,
// SIGFPE, SIGSYS or SIGTRAP before it was healthy. A kill from outside
// (SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGPIPE) proves nothing and the start
// is not counted; other signals prove nothing either. Nor does any end
// after someone asked the program to end: an exit after the launcher passed
// on a SIGTERM, SIGINT or SIGHUP it received (TrialEnd::asked_to_end), or an
// exit code 128 + one of those (the shell's and most runtimes' "ended by
// SIGTERM": 129, 130, 137, 141, 143), is not counted. Only a crash signal
// stays evidence then (it crashed on its way out). The limit of the rule: a
// signal sent to the program itself (not through the launcher) that it
// handles by exiting with another non-zero code reads as its own failure.
// Healthy, under every rule: a confirmation, or an exit with code 0;
// running:N also when alive N seconds; exit also any other exit code (a
// command-line tool's user error). Under running:N and confirm, any other
// exit before health is a failure.
// After a failure the previous version starts in the same launch when
// nothing ran at all, or, under running and confirm, when the failure came
// within the trial window; a command (rule exit) is never run twice.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "upkeep/install/launch_spec.h"
#include "upkeep/platform/process.h"

namespace upkeep {

// What the launcher saw of one start on trial.
struct TrialEnd {
  enum class Kind {
    kNotStarted,  // the program could not be executed (`detail` says why)
    kConfirmed,   // a byte on the health channel, or `good` recorded by the app
    kAlive,       // still running when the trial window closed
    kEnded,       // ended before any of the above, as `status` says
  };
  Kind kind = Kind::kEnded;
  process::ExitStatus status;  // kEnded
  bool within_window = true;   // kEnded: before the trial window closed
  std::string detail;          // kNotStarted
  int asked_to_end = 0;        // kEnded: the signal the launcher passed on to it before it ended (0: none)
};

struct TrialVerdict {
  enum class Kind {
    kHealthy,     // the version is good
    kFailed,      // evidence: mark it bad and roll back
    kNoEvidence,  // stays on trial
    kUndecided,   // confirm rule past its window: decided when the program ends
  };
  Kind kind = Kind::kUndecided;
  bool start_previous_now = false;  // kFailed: start the previous version in this launch
  bool counted = true;              // kNoEvidence: false when the start is taken back (a kill from outside)
  std::string why;                  // for people: "killed by signal 11 (Segmentation fault)"
};

TrialVerdict judge_trial(const HealthRule& rule, const TrialEnd& end);

// How long the launcher waits for health before the rule decides: N for
// running:N, `trial_timeout_seconds` for confirm, none for exit (decided
// when the command ends).
std::optional<std::chrono::seconds> trial_window(const HealthRule& rule, int64_t trial_timeout_seconds);

bool is_crash_signal(int signal);  // SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGSYS, SIGTRAP
bool is_outside_kill(int signal);  // SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGPIPE

}  // namespace upkeep

// Trial: the first start of a newly applied version, decided by the health
// rule its release declares (LaunchSpec::health; trial_verdict.h says what
// proves what). It counts the start (kMaxTrialStarts starts that never came
// back fail it, under running and confirm), runs the release's update hook
// (its failure fails the trial), spawns the program with UPKEEP_TRIAL=1 and
// a health channel, and waits, as its parent, forwarding SIGINT, SIGTERM
// and SIGHUP to it, for a confirmation, its end, or the end of the trial
// window. It never ends the program.
//
// Healthy: the version is recorded good, clean-up runs, the lock is
// released, and run() returns how the program ended once it ends.
// Failed: the version is marked bad and rolled back to the first runnable
// earlier version (RunnableVersions; Applier::rollback); then that version
// is exec'ed with UPKEEP_ROLLED_BACK_FROM when the verdict says to start it
// now, else run() returns the failed run's status (the next start runs it).
// No evidence (a kill from outside): the version stays on trial, the start
// is taken back, and run() returns the program's status.
// The install lock is held until the verdict, but while a command (rule
// exit) runs and while a confirm-rule program runs past its window; it is
// taken again to record the verdict, which is recorded only when the
// version is still `current` and on trial then.
// Without a lock (a user who cannot write a per-machine root) nothing is
// counted, recorded or rolled back: a failure only starts the earlier
// version for this run.
// In a hand-over (handover.h) a healthy verdict releases the old program,
// and the earlier version after a failure is started as a child with the
// readiness pipe instead of exec'ed (the old program stays until it is ready).
// A confirm-rule program not confirmed by the hand-over's ready timeout (or
// its window, when longer) is stopped, and the old program serves on.
// One thread.
#pragma once

#include <optional>
#include <string>

#include "app_starter.h"
#include "handover.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/install/trial_verdict.h"
#include "upkeep/platform/health_channel.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/policy/config.h"

namespace upkeep {

class Trial {
 public:
  // `lock`: the install lock the caller holds, or nullptr (nothing recorded, above).
  // `handover`: a hand-over in progress (handover.h), or nullptr.
  Trial(const Layout& layout, const Config& config, const AppStarter& starter, StateStore& store, InstallLock* lock,
        Handover* handover = nullptr)
      : layout_(layout),
        config_(config),
        starter_(starter),
        store_(store),
        lock_(lock),
        locked_(lock != nullptr),
        handover_(handover) {}

  // Runs `version` on trial; `previous` is the confirmed version it replaced.
  // Returns how the program ended, or does not return (exec, above).
  process::ExitStatus run(const std::string& version, const std::string& previous);

  static constexpr int kMaxTrialStarts = 3;

 private:
  // "" when the start may go on, else why the trial failed before the program ran.
  std::string before_start(const HealthRule& rule);
  // "" when the update hook succeeded (or there is none), else why the trial failed.
  std::string run_update_hook();
  // Spawns the program and waits for the rule's verdict (and, past a
  // confirm rule's window, for the program's end).
  TrialVerdict start_and_judge(const LaunchSpec& spec, HealthChannel& channel, class SignalForwarder& forward);
  // In a hand-over, a confirm-rule program past its window: waits on up to
  // the ready timeout (handover.h), then stops it (no evidence, counted).
  TrialVerdict judge_handover(const LaunchSpec& spec, HealthChannel& channel, std::chrono::seconds window);
  TrialEnd observe(HealthChannel& channel, std::optional<std::chrono::milliseconds> window, bool within_window);
  process::ExitStatus settle(const TrialVerdict& verdict);
  // Rolls back (when recording) and starts the earlier version now, or returns `status`.
  process::ExitStatus go_back(const std::string& why, bool start_now, const process::ExitStatus& status);
  // Takes the lock again if it was released; true when the verdict may be
  // recorded: the version is still `current`, and on trial (or, unless
  // `only_on_trial`, recorded good by the app itself).
  bool may_record(bool only_on_trial);
  // Starts the earlier version `target` now: exec'ed, or, in a hand-over, as a child.
  process::ExitStatus start_earlier(const std::string& target);
  // Applier::cleanup, then the trash emptied in the background (trash.h): the program's end is never held up.
  void clean_up(class Applier& applier);
  void release_lock();

  const Layout& layout_;
  const Config& config_;
  const AppStarter& starter_;
  StateStore& store_;
  InstallLock* lock_;
  bool locked_;
  Handover* handover_;
  std::string version_;
  std::string previous_;
  int64_t pid_ = -1;
  const class SignalForwarder* forward_ = nullptr;  // while start_and_judge runs: what the launcher passed on
  std::optional<process::ExitStatus> ended_;        // set once the program was reaped
};

}  // namespace upkeep

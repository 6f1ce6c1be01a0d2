// Trial: the first start of a newly applied version, decided in the same
// launch. It counts the start (kMaxTrialStarts kills on trial fail it), runs
// the release's update hook (its failure fails the trial), spawns the main
// program with UPKEEP_TRIAL=1 and a health channel, and waits for one of:
// the program confirms (or the state store says `good` when it ended), it
// exits 0 before confirming (a --version run), it fails, or the trial time
// runs out (docs/launcher-contract.md "Trial and rollback").
//
// After a healthy start: the version is `good`, clean-up ran, the lock is
// released and run() returns the program's exit code (the launcher stays its
// parent). After a failed one: the version is rolled back to `previous`
// (Applier::rollback; an unfinished rollback is finished at the next start),
// and run() execs `previous` with UPKEEP_ROLLED_BACK_FROM; it throws
// Error(kNoRunnableVersion) only when `previous` is gone too.
// The caller holds the install lock. One thread.
#pragma once

#include <string>

#include "app_starter.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/policy/config.h"

namespace upkeep {

class Trial {
 public:
  Trial(const Layout& layout, const Config& config, const AppStarter& starter, StateStore& store, InstallLock& lock)
      : layout_(layout), config_(config), starter_(starter), store_(store), lock_(lock) {}

  // Runs `version` on trial; `previous` is the confirmed version it replaced.
  int run(const std::string& version, const std::string& previous);

 private:
  // "" when the start was healthy (the program's exit code is in `exit_code`), else why not.
  std::string start_and_wait(const std::string& version, const std::string& previous, int& exit_code);
  // "" when the update hook succeeded (or there is none), else why the trial failed.
  std::string run_update_hook(const std::string& version, const std::string& previous);
  [[noreturn]] void roll_back(const std::string& version, const std::string& previous, const std::string& failure);

  const Layout& layout_;
  const Config& config_;
  const AppStarter& starter_;
  StateStore& store_;
  InstallLock& lock_;
};

}  // namespace upkeep

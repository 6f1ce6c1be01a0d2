// Launcher: the order of work at every start of an installed application.
//
//   1. find the install root from the launcher's own path;
//   2. (--after-pid) wait for the old main program to exit;
//   3. fast path: no .pending marker -> exec the current version directly;
//   4. otherwise, under the install lock: recover an interrupted operation,
//      apply a staged version, run a version on trial and roll it back in
//      the same launch if it fails, clean up;
//   5. start the main program of `current` with the caller's arguments.
//
// It never downloads (--check-on-start runs the separate updater first).
// Managed policy (managed_policy.h) is read only when a check on start or
// the slow path needs it (the fast path stays one stat, one readlink, one
// exec): update_mode manual or disabled skips --check-on-start; a staged
// version is applied
// only when the policy allows it (not "disabled"; in "download_only" only
// when the user chose to restart to update, i.e. with --after-pid; it must
// match target_version_prefix; it may be older than `current` only where
// the policy allows downgrades).
// It always ends by starting some runnable version, or exits with
// kNoRunnableVersion and a message saying why: a recovery, apply, rollback
// or clean-up that fails is logged and printed, counted as a failed try of
// that update where it is one (quarantine.h), and the launch goes on.
// Single-threaded.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "upkeep/install/layout.h"
#include "upkeep/platform/process.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/update_settings.h"

namespace upkeep {

struct LauncherOptions {
  std::optional<long long> after_pid;
  bool status = false;
  bool rollback = false;  // go back to the previous good version by hand, then exit
  bool json = false;
  bool check_on_start = false;
  bool help = false;
  std::vector<std::string> app_args;  // passed through to the main program

  // Launcher options come first; the first other argument (or "--") starts the app's.
  static LauncherOptions parse(const std::vector<std::string>& args);
};

class Launcher {
 public:
  Launcher(Layout layout, std::string self_path) : layout_(std::move(layout)), self_(std::move(self_path)) {}

  // Returns an exit code, or does not return (exec of the main program).
  int run(const LauncherOptions& options);

 private:
  int slow_path(const Config& config, const UpdateSettings& settings, const LauncherOptions& options);
  std::string version_to_start(class StateStore& store);
  int run_updater(const LauncherOptions& options);
  int rollback_by_hand();

  Layout layout_;
  std::string self_;
};

// `launcher --status [--json]`: prints versions, current, staged, bad, quarantined, failed tries, events.
int print_status(const Layout& layout, bool json);

}  // namespace upkeep

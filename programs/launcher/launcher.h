// Launcher: the order of work at every start of an installed application.
//
//   1. find the install root from the launcher's own path;
//   2. (--upkeep-after-pid) wait for the old program to exit; with
//      --upkeep-handover it keeps serving instead, and the new version
//      starts on its sockets, as a child, before it is told to finish
//      (handover.h; no fast path then);
//   3. (--upkeep-check-now or check_on_start) run upkeep-updater, waiting
//      at most check_on_start_deadline_seconds: past it the installed
//      version starts and the check goes on in the background;
//   4. take the shared lock of a per-machine install's .running file;
//   5. fast path: no .pending marker -> exec the current version directly;
//   6. otherwise, under the install lock: recover an interrupted operation,
//      apply a staged version, run a version on trial (trial.h) by its
//      release's health rule, clean up;
//   7. start the program of the version's launch record (app_starter.h)
//      with the caller's arguments.
// A user who cannot write the root (another user's per-machine install)
// skips 3 and 6: the version to start starts read-only, and a version on
// trial that fails only makes the earlier one start for this run.
//
// It never downloads (the check runs the separate updater). Managed policy
// (managed_policy.h) is read only when a check on start or the slow path
// needs it (the fast path stays one stat, one readlink, one small read, one
// exec): update_mode manual or disabled skips the check on start; a staged
// version is applied only when the policy allows it (not "disabled"; in
// "download_only" only when the user chose to restart to update, i.e. with
// --upkeep-after-pid; it must match target_version_prefix; it may be older
// than `current` only where the policy allows downgrades).
// It always ends by starting some runnable version, or exits with
// kNoRunnableVersion and a message saying why: a recovery, apply, rollback
// or clean-up that fails is logged and printed, counted as a failed try of
// that update where it is one (quarantine.h), and the launch goes on.
// A damaged or missing config.json never stops it either: what can be
// salvaged is used (the app id is the launcher's own name), the log and
// stderr say so, and no update is checked for or applied until `upkeep
// repair` rewrites the file. A damaged state.db is set aside and rebuilt
// (state_recovery.h).
// Single-threaded.
#pragma once

#include <optional>
#include <string>

#include "launcher_options.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/process.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/update_settings.h"

namespace upkeep {

class AppStarter;

class Launcher {
 public:
  Launcher(Layout layout, std::string self_path) : layout_(std::move(layout)), self_(std::move(self_path)) {}

  // Returns how the application ended (or the launcher's own exit code), or
  // does not return (exec of the application).
  process::ExitStatus run(const LauncherOptions& options);

 private:
  process::ExitStatus slow_path(const Config& config, const UpdateSettings& settings, const AppStarter& starter,
                                const LauncherOptions& options);
  process::ExitStatus read_only_start(const Config& config, const AppStarter& starter, const LauncherOptions& options);
  std::string version_to_start(StateStore& store, bool may_repair);
  void run_updater(const UpdateSettings& settings);
  int rollback_by_hand();
  // How long to wait for another launcher's trial of `current` (its window and 30 s).
  std::chrono::seconds lock_wait(const Config& config, const AppStarter& starter) const;
  // config.json, or what can be salvaged of a damaged one (then config_damage_
  // says why, the log and stderr say so, and no update is checked or applied).
  Config load_config();

  Layout layout_;
  std::string self_;
  std::string config_damage_;
  std::filesystem::file_time_type started_;  // temp files older than this may be swept (temp_sweeper.h)
};

// `launcher --upkeep-status [--upkeep-json]`: prints versions, current, staged,
// bad, quarantined, failed tries, events. Read-only: works for any user.
int print_status(const Layout& layout, bool json);

// state.db opened read-only (never creating a -wal or -shm) and checked
// (PRAGMA integrity_check, a schema); nullopt with `damage` saying why when
// it is missing or damaged. Error(kPermission) when this user may not read it.
std::optional<StateStore> open_to_read(const Layout& layout, std::string& damage);

}  // namespace upkeep

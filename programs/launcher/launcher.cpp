#include "launcher.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>

#include "app_starter.h"
#include "handover.h"
#include "survive.h"
#include "trial.h"
#include "upkeep/base/error.h"
#include "upkeep/base/logging.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/check_backoff.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/runnable_versions.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/install/temp_sweeper.h"
#include "upkeep/install/trash.h"
#include "upkeep/platform/detached_run.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/policy/managed_policy.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {


}  // namespace

process::ExitStatus Launcher::run(const LauncherOptions& options) {
  started_ = std::filesystem::file_time_type::clock::now();
  if (options.status) return process::ExitStatus::exited_with(print_status(layout_, options.json));
  if (options.rollback) return process::ExitStatus::exited_with(rollback_by_hand());
  if (options.after_pid && !options.handover) {
    // The old program asked for a restart; it must be gone before we touch `current`.
    // (A hand-over keeps it serving until the new version is ready: handover.h.)
    if (!process::wait_for_exit(*options.after_pid, std::chrono::seconds(60)))
      fail(ErrorCode::kLockTimeout, "process " + std::to_string(*options.after_pid) + " did not exit within 60 s");
  }
  Config config = load_config();
  // Managed policy is read only when something needs it: the fast path
  // (no check on start, nothing pending) stays one stat, one readlink, one exec.
  std::optional<UpdateSettings> settings;
  auto policy = [&]() -> const UpdateSettings& {
    if (!settings) settings = ManagedPolicy::effective_settings(layout_, config);
    return *settings;
  };
  if (options.check_now || config.check_on_start) {
    if (!config_damage_.empty()) {
      spdlog::warn("no check on start: updates are off until config.json is repaired");
    } else if (!policy().checks_automatically()) {
      spdlog::info("no check on start: update_mode {} ({})", update_mode_name(policy().mode),
                   policy().sources.at("update_mode").describe());
    } else if (!layout_.writable_by_this_process()) {
      // Said aloud only when this user asked for the check.
      spdlog::log(options.check_now ? spdlog::level::warn : spdlog::level::info,
                  "no check on start: {} is read-only for this user (its privileged updater checks)",
                  layout_.root().string());
    } else if (auto held = options.check_now ? "" : CheckBackoff::read(layout_.state_db()).description; !held.empty()) {
      spdlog::info("no check on start: {}", held);  // automatic checks back off; --upkeep-check-now does not
    } else {
      run_updater(policy());
    }
  }
  const AppStarter starter(layout_, self_, config.main_program, options.app_args);
  // Before `current` is read: a privileged updater applies only while nobody holds it.
  starter.hold_running_lock();
  // Fast path: nothing pending. A stat, a readlink, a stat, the launch file read, one exec.
  if (!options.handover && !PendingMarker(layout_).is_set()) {
    if (auto v = layout_.current_version(); v && stdfs::is_directory(layout_.version_dir(*v))) starter.exec(*v);
  }
  return slow_path(config, policy(), starter, options);
}

process::ExitStatus Launcher::slow_path(const Config& config, const UpdateSettings& settings, const AppStarter& starter,
                                        const LauncherOptions& options) {
  init_logging({.program = "launcher", .log_dir = layout_.logs_dir()});
  if (!layout_.writable_by_this_process()) return read_only_start(config, starter, options);
  // Longer than a trial, so a second launcher waits for the first one's trial to end.
  auto lock = InstallLock::acquire(layout_.lock_file(), lock_wait(config, starter));
  StateStore store = StateRecovery(layout_).open();
  TempSweeper(layout_).sweep(started_);
  Applier applier(layout_, store, config.max_update_failures, settings.downgrades_allowed());
  // A recovery or an apply that fails never stops the launch: the applier
  // counted it as a failed try of that version (quarantine.h); what is
  // installed starts, and the next start tries again until the version is
  // quarantined. No new apply while an interrupted one is unfinished.
  if (survive("could not finish an interrupted update", [&] { applier.recover(); })) {
    if (auto staged = applier.staged_version()) {
      if (!config_damage_.empty())
        spdlog::warn("staged version {} not applied: updates are off until config.json is repaired", *staged);
      else if (std::string why = settings.apply_refused(*staged, options.after_pid.has_value()); !why.empty())
        spdlog::info("staged version {} not applied: {}", *staged, why);
      else
        survive("update to " + *staged + " not applied", [&] { applier.apply(*staged); });
    }
  }
  std::string start = version_to_start(store, true);
  std::optional<Handover> handover;
  if (options.handover)
    handover.emplace(*options.after_pid, std::chrono::seconds(config.handover_ready_timeout_seconds));
  auto rec = store.get(start);
  if (rec && rec->state == VersionState::kTrial && !rec->previous.empty() && start == layout_.current_version())
    return Trial(layout_, config, starter, store, &lock, handover ? &*handover : nullptr).run(start, rec->previous);

  survive("clean-up failed", [&] { applier.cleanup(); });
  survive("cannot empty the trash", [&] { Trash(layout_).empty_in_background(self_); });
  lock.release();
  if (handover) return handover->start(starter, start);
  starter.exec(start);
}

// A user who cannot write the root: no recovery, apply, clean-up or record;
// the privileged updater (or the owner's next start) does those.
process::ExitStatus Launcher::read_only_start(const Config& config, const AppStarter& starter,
                                              const LauncherOptions& options) {
  spdlog::info("{} is read-only for this user: starting what is installed", layout_.root().string());
  std::string damage;
  std::optional<StateStore> opened = open_to_read(layout_, damage);
  if (!opened) {
    // Only its owner may set it aside and rebuild it (state_recovery.h); `current` says what runs.
    auto current = layout_.current_version();
    if (!current || !stdfs::is_directory(layout_.version_dir(*current)))
      fail(ErrorCode::kNoRunnableVersion,
           layout_.state_db().string() + " is damaged (" + damage + ") and `current` names no version to start");
    spdlog::warn("{} is damaged ({}): starting {}; its owner's next start rebuilds it", layout_.state_db().string(),
                 damage, *current);
    starter.exec(*current);
  }
  StateStore& store = *opened;
  std::string start = version_to_start(store, false);
  std::optional<Handover> handover;
  if (options.handover)
    handover.emplace(*options.after_pid, std::chrono::seconds(config.handover_ready_timeout_seconds));
  auto rec = store.get(start);
  if (rec && rec->state == VersionState::kTrial && !rec->previous.empty() && start == layout_.current_version())
    return Trial(layout_, config, starter, store, nullptr, handover ? &*handover : nullptr).run(start, rec->previous);
  if (handover) return handover->start(starter, start);
  starter.exec(start);
}

std::string Launcher::version_to_start(StateStore& store, bool may_repair) {
  auto current = layout_.current_version();
  // An operation left unfinished (its journal row waits for the next start):
  // a rollback, or an apply that switched `current` but could not record it.
  // Start the confirmed version it came from.
  if (auto j = store.journal(); j && (j->op == JournalOp::kRollback || current == j->version) &&
                                !j->from_version.empty() && stdfs::is_directory(layout_.version_dir(j->from_version))) {
    spdlog::warn("{} of {} unfinished: starting {}", j->op == JournalOp::kApply ? "apply" : "rollback", j->version,
                 j->from_version);
    return j->from_version;
  }
  if (current && stdfs::is_directory(layout_.version_dir(*current))) return *current;
  RunnableVersions runnable(layout_, store);
  auto pick = runnable.first_of(runnable.good_versions());
  for (const auto& skipped : pick.skipped) spdlog::warn("not starting {}", skipped);
  if (!pick.version)
    fail(ErrorCode::kNoRunnableVersion,
         "no runnable version in " + layout_.root().string() + ": `current` is missing and no good version can start" +
             (pick.skipped.empty() ? "" : " (" + pick.skipped_text() + ")") + "; reinstall");
  const std::string good = *pick.version;
  if (!may_repair) return good;
  spdlog::warn("`current` was missing or broken; pointing it at {}", good);
  // Started even when the link cannot be replaced (e.g. a folder sits where it belongs).
  survive("could not point `current` at " + good, [&] {
    layout_.switch_current(good);
    store.add_event("repaired", good, "current pointed at the newest good version");
  });
  return good;
}

int Launcher::rollback_by_hand() {
  init_logging({.program = "launcher", .log_dir = layout_.logs_dir()});
  if (!layout_.writable_by_this_process()) layout_.fail_not_writable("--upkeep-rollback");
  Config config = load_config();
  auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(config.trial_timeout_seconds + 30));
  StateStore store = StateRecovery(layout_).open();
  Applier applier(layout_, store, config.max_update_failures);
  applier.recover();
  auto current = layout_.current_version();
  if (!current)
    fail(ErrorCode::kNoRunnableVersion, "nothing to roll back: `current` is missing in " + layout_.root().string());
  // The version to go back to: the one recorded when `current` was applied,
  // else the newest good version older than it, the first whose files check out.
  auto rec = store.get(*current);
  RunnableVersions runnable(layout_, store);
  auto pick = runnable.first_of(runnable.rollback_candidates(*current, rec ? rec->previous : ""));
  for (const auto& skipped : pick.skipped) std::fprintf(stderr, "launcher: skipping %s\n", skipped.c_str());
  if (!pick.version)
    fail(ErrorCode::kNotFound, "no earlier version of " + *current + " that can start is kept in " +
                                   layout_.root().string() +
                                   (pick.skipped.empty() ? "" : " (" + pick.skipped_text() + ")"));
  // Marked bad like a failed trial, so the next check does not offer it straight back.
  applier.rollback(*current, *pick.version, "rolled back by hand");
  std::printf("rolled back from %s to %s\n", current->c_str(), pick.version->c_str());
  return 0;
}

Config Launcher::load_config() {
  Config::Loaded loaded = Config::load_or_salvage(layout_.config_file(), stdfs::path(self_).filename().string());
  if (loaded.damaged()) {
    config_damage_ = loaded.damage;
    init_logging({.program = "launcher", .log_dir = layout_.logs_dir()});
    spdlog::warn("{}; starting the installed version with updates off ({})", loaded.damage,
                 Config::Loaded::updates_off(layout_.root()));
  }
  return loaded.config;
}

void Launcher::run_updater(const UpdateSettings& settings) {
  stdfs::path updater = layout_.root() / "upkeep-updater";
  if (!stdfs::exists(updater)) {
    spdlog::warn("no check on start: {} is not installed", updater.string());
    return;
  }
  process::SpawnOptions spawn;
  spawn.argv = {updater.string(), "--root", layout_.root().string()};
  // Its output reaches our stderr through a pipe (detached_run.h): the bar only when that is a terminal.
  if (fs::is_terminal(2)) spawn.argv.insert(spawn.argv.end(), {"--progress", "always"});
  spawn.env = process::current_environment();
  // Sockets handed over are the app's: the updater, which may outlive this
  // launch, must not claim them by the variables (DetachedRun passes on no
  // descriptor but the standard three).
  for (const char* k : {"LISTEN_FDS", "LISTEN_FDNAMES", "LISTEN_PID"}) spawn.env.erase(k);
  std::error_code ec;
  stdfs::create_directories(layout_.logs_dir(), ec);
  DetachedRun check(spawn, layout_.logs_dir() / "check-on-start.log");
  auto deadline = std::chrono::seconds(settings.check_on_start_deadline_seconds);
  auto status = check.wait(deadline);
  if (!status) {
    spdlog::warn("the update check goes on in the background (pid {}) after {} s; starting the installed version",
                 check.pid(), deadline.count());
  } else if (!status->success()) {
    spdlog::warn("the update check failed (exit {}); starting the installed version", status->as_exit_code());
  }
}

std::chrono::seconds Launcher::lock_wait(const Config& config, const AppStarter& starter) const {
  int64_t window = config.trial_timeout_seconds;
  if (auto current = layout_.current_version()) {
    try {
      if (auto w = trial_window(starter.spec(*current).health, config.trial_timeout_seconds))
        window = std::max<int64_t>(window, w->count());
    } catch (const Error&) {
      // A damaged launch record fails its own trial; the default wait does here.
    }
  }
  return std::chrono::seconds(window + 30);
}

}  // namespace upkeep

#include "launcher.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <optional>

#include "app_starter.h"
#include "survive.h"
#include "trial.h"
#include "upkeep/base/error.h"
#include "upkeep/base/logging.h"
#include "upkeep/base/version.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/policy/managed_policy.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {
// Why managed policy keeps a staged version from being applied now; "" when it may be.
std::string apply_refused(const UpdateSettings& settings, const std::string& staged, const LauncherOptions& options) {
  const std::string mode_source = " (" + settings.sources.at("update_mode").describe() + ")";
  if (settings.mode == UpdateMode::kDisabled) return "updates are disabled by managed policy" + mode_source;
  if (settings.mode == UpdateMode::kDownloadOnly && !options.after_pid)
    return "update_mode download_only" + mode_source + ": applied when the user restarts to update";
  if (!settings.version_allowed(staged))
    return "it does not match target_version_prefix '" + settings.target_version_prefix + "' (" +
           settings.sources.at("target_version_prefix").describe() + ")";
  return "";
}

// The newest version folder recorded as good, for a root whose `current` is broken.
std::optional<std::string> newest_good_version(const Layout& layout, StateStore& store) {
  std::optional<std::string> best;
  for (const auto& r : store.in_state(VersionState::kGood)) {
    if (!stdfs::is_directory(layout.version_dir(r.version))) continue;
    if (!best || Version::parse_or_throw(*best).compare(Version::parse_or_throw(r.version)) < 0) best = r.version;
  }
  return best;
}

}  // namespace

LauncherOptions LauncherOptions::parse(const std::vector<std::string>& args) {
  LauncherOptions o;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--after-pid") {
      if (i + 1 >= args.size()) fail(ErrorCode::kUsage, "--after-pid expects a process id");
      try {
        o.after_pid = std::stoll(args[++i]);
      } catch (const std::exception&) {
        fail(ErrorCode::kUsage, "--after-pid expects a process id, got '" + args[i] + "'");
      }
      if (*o.after_pid <= 0) fail(ErrorCode::kUsage, "--after-pid expects a positive process id");
    } else if (a == "--status") {
      o.status = true;
    } else if (a == "--rollback") {
      o.rollback = true;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--check-on-start") {
      o.check_on_start = true;
    } else if (a == "--launcher-help") {
      o.help = true;
    } else {
      break;
    }
  }
  o.app_args.assign(args.begin() + static_cast<long>(i), args.end());
  return o;
}

int Launcher::run(const LauncherOptions& options) {
  if (options.status) return print_status(layout_, options.json);
  if (options.rollback) return rollback_by_hand();
  if (options.after_pid) {
    // The old main program asked for a restart; it must be gone before we touch `current`.
    if (!process::wait_for_exit(*options.after_pid, std::chrono::seconds(60)))
      fail(ErrorCode::kLockTimeout, "process " + std::to_string(*options.after_pid) + " did not exit within 60 s");
  }
  Config config = Config::load(layout_.config_file());
  // Managed policy is read only when something needs it: the fast path
  // (no check on start, nothing pending) stays one stat, one readlink, one exec.
  std::optional<UpdateSettings> settings;
  auto policy = [&]() -> const UpdateSettings& {
    if (!settings) settings = ManagedPolicy::effective_settings(layout_, config);
    return *settings;
  };
  bool check = options.check_on_start || config.check_on_start;
  if (check && !policy().checks_automatically()) {
    spdlog::info("no check on start: update_mode {} ({})", update_mode_name(policy().mode),
                 policy().sources.at("update_mode").describe());
    check = false;
  }
  if (check) {
    int rc = run_updater(options);
    if (rc != 0) spdlog::warn("the update check failed (exit {}); starting the installed version", rc);
  }
  // Fast path: nothing pending. One stat, one readlink, one exec.
  if (!PendingMarker(layout_).is_set()) {
    if (auto v = layout_.current_version(); v && stdfs::is_directory(layout_.version_dir(*v)))
      AppStarter(layout_, self_, config.main_program, options.app_args).exec(*v);
  }
  return slow_path(config, policy(), options);
}

int Launcher::slow_path(const Config& config, const UpdateSettings& settings, const LauncherOptions& options) {
  init_logging({.program = "launcher", .log_dir = layout_.logs_dir()});
  // Longer than a trial, so a second launcher waits for the first one's trial to end.
  auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(config.trial_timeout_seconds + 30));
  StateStore store(layout_.state_db());
  Applier applier(layout_, store, config.max_update_failures, settings.downgrades_allowed());
  // A recovery or an apply that fails never stops the launch: the applier
  // counted it as a failed try of that version (quarantine.h); what is
  // installed starts, and the next start tries again until the version is
  // quarantined. No new apply while an interrupted one is unfinished.
  if (survive("could not finish an interrupted update", [&] { applier.recover(); })) {
    if (auto staged = applier.staged_version()) {
      if (std::string why = apply_refused(settings, *staged, options); !why.empty())
        spdlog::info("staged version {} not applied: {}", *staged, why);
      else
        survive("update to " + *staged + " not applied", [&] { applier.apply(*staged); });
    }
  }

  const AppStarter starter(layout_, self_, config.main_program, options.app_args);
  std::string start = version_to_start(store);
  auto rec = store.get(start);
  if (rec && rec->state == VersionState::kTrial && !rec->previous.empty() && start == layout_.current_version())
    return Trial(layout_, config, starter, store, lock).run(start, rec->previous);

  survive("clean-up failed", [&] { applier.cleanup(); });
  lock.release();
  starter.exec(start);
}

std::string Launcher::version_to_start(StateStore& store) {
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
  auto good = newest_good_version(layout_, store);
  if (!good)
    fail(ErrorCode::kNoRunnableVersion, "no runnable version in " + layout_.root().string() +
                                            ": `current` is missing and no good version is installed; reinstall");
  spdlog::warn("`current` was missing or broken; pointing it at {}", *good);
  // Started even when the link cannot be replaced (e.g. a folder sits where it belongs).
  survive("could not point `current` at " + *good, [&] {
    layout_.switch_current(*good);
    store.add_event("repaired", *good, "current pointed at the newest good version");
  });
  return *good;
}

int Launcher::rollback_by_hand() {
  init_logging({.program = "launcher", .log_dir = layout_.logs_dir()});
  Config config = Config::load(layout_.config_file());
  auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(config.trial_timeout_seconds + 30));
  StateStore store(layout_.state_db());
  Applier applier(layout_, store, config.max_update_failures);
  applier.recover();
  auto current = layout_.current_version();
  if (!current)
    fail(ErrorCode::kNoRunnableVersion, "nothing to roll back: `current` is missing in " + layout_.root().string());
  // The version to go back to: the one recorded when `current` was applied,
  // else the newest good version older than it that is still on disk.
  std::optional<std::string> target;
  if (auto rec = store.get(*current);
      rec && !rec->previous.empty() && stdfs::is_directory(layout_.version_dir(rec->previous)))
    target = rec->previous;
  if (!target) {
    Version cur = Version::parse_or_throw(*current);
    for (const auto& r : store.in_state(VersionState::kGood)) {
      if (!stdfs::is_directory(layout_.version_dir(r.version))) continue;
      Version v = Version::parse_or_throw(r.version);
      if (v.compare(cur) < 0 && (!target || Version::parse_or_throw(*target).compare(v) < 0)) target = r.version;
    }
  }
  if (!target)
    fail(ErrorCode::kNotFound, "no earlier version of " + *current + " is kept in " + layout_.root().string());
  // Marked bad like a failed trial, so the next check does not offer it straight back.
  applier.rollback(*current, *target, "rolled back by hand");
  std::printf("rolled back from %s to %s\n", current->c_str(), target->c_str());
  return 0;
}

int Launcher::run_updater(const LauncherOptions& options) {
  stdfs::path updater = layout_.root() / "upkeep-updater";
  if (!stdfs::exists(updater)) {
    spdlog::warn("--check-on-start: {} is not installed", updater.string());
    return static_cast<int>(ErrorCode::kNotFound);
  }
  process::SpawnOptions spawn;
  spawn.argv = {updater.string(), "--root", layout_.root().string()};
  spawn.env = process::current_environment();
  return process::wait_child(process::spawn(spawn)).as_exit_code();
}

}  // namespace upkeep

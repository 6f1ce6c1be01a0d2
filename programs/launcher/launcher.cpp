#include "launcher.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <optional>

#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/base/logging.h"
#include "upkeep/base/version.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/health_channel.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/policy/managed_policy.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {
constexpr int kMaxTrialStarts = 3;  // a version killed on trial this often counts as failed

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

bool recorded_good(StateStore& store, const std::string& version) {
  auto r = store.get(version);
  return r && r->state == VersionState::kGood;
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

// Runs a step of the slow path whose failure must not stop the launch: the
// failure is logged (the console sink prints it on stderr), and the launcher
// goes on to start what is installed. Returns false when the step failed.
bool survive(const std::string& what, const std::function<void()>& step) {
  try {
    step();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", what, e.what());
    return false;
  }
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

std::vector<std::string> Launcher::command_for(const Config& config, const std::string& version,
                                               const LauncherOptions& options) const {
  std::vector<std::string> argv{(layout_.version_dir(version) / config.main_program).string()};
  argv.insert(argv.end(), options.app_args.begin(), options.app_args.end());
  return argv;
}

process::Environment Launcher::environment_for(const std::string& version, const process::Environment& extra) const {
  process::Environment env = process::current_environment();
  for (const char* k : {env::kTrial, env::kHealthFd, env::kPreviousVersion}) env.erase(k);
  env[env::kRoot] = layout_.root().string();
  env[env::kVersion] = version;
  env[env::kLauncher] = self_;
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

void Launcher::exec_version(const Config& config, const std::string& version, const LauncherOptions& options,
                            const process::Environment& extra) {
  spdlog::default_logger()->flush();
  process::exec_replace(command_for(config, version, options), environment_for(version, extra));
  throw Error(ErrorCode::kNoRunnableVersion, "exec returned");  // exec_replace throws on failure
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
      exec_version(config, *v, options, {});
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

  std::string start = version_to_start(store);
  auto rec = store.get(start);
  if (rec && rec->state == VersionState::kTrial && !rec->previous.empty() && start == layout_.current_version())
    return run_trial(config, start, rec->previous, options, store, lock);

  survive("clean-up failed", [&] { applier.cleanup(); });
  lock.release();
  exec_version(config, start, options, {});
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

int Launcher::run_trial(const Config& config, const std::string& version, const std::string& previous,
                        const LauncherOptions& options, StateStore& store, InstallLock& lock) {
  Applier applier(layout_, store, config.max_update_failures);
  int starts = store.add_trial_attempt(version);
  std::string failure;
  if (starts > kMaxTrialStarts) {
    failure = "did not confirm a healthy start in " + std::to_string(kMaxTrialStarts) + " starts";
  } else {
    // Part of the trial: a failing or timed-out update hook fails it.
    failure = run_update_hook(version, previous, store);
  }
  if (failure.empty()) {
    HealthChannel channel;
    process::SpawnOptions spawn;
    spawn.argv = command_for(config, version, options);
    spawn.env = environment_for(
        version,
        {{env::kTrial, "1"}, {env::kHealthFd, std::to_string(channel.child_fd())}, {env::kPreviousVersion, previous}});
    spawn.inherit_fds = {channel.child_fd()};
    int64_t pid = process::spawn(spawn);
    channel.close_child_end();
    crash_point("trial.spawned");
    auto result = channel.wait(pid, std::chrono::seconds(config.trial_timeout_seconds));
    // The app records `good` before it writes to the channel: a program that
    // died between the two had confirmed, and what ends it later is no failed start.
    const bool confirmed = result.outcome == HealthChannel::Outcome::kConfirmed ||
                           (result.outcome == HealthChannel::Outcome::kExited && recorded_good(store, version));
    // Running to a clean end before confirming (e.g. --version) is healthy too.
    if (confirmed || (result.outcome == HealthChannel::Outcome::kExited && result.status.success())) {
      applier.mark_good(version);
      crash_point("trial.recorded");
      survive("clean-up failed", [&] { applier.cleanup(); });
      lock.release();
      if (result.outcome == HealthChannel::Outcome::kExited) return result.status.as_exit_code();
      // Stay the program's parent until it ends, so callers see its exit code.
      return process::wait_child(pid).as_exit_code();
    }
    failure = result.outcome == HealthChannel::Outcome::kTimedOut
                  ? "did not confirm a healthy start within " + std::to_string(config.trial_timeout_seconds) + " s"
                  : "failed on its first start (" + result.status.describe() + ")";
  }
  std::fprintf(stderr, "launcher: version %s %s; going back to %s\n", version.c_str(), failure.c_str(),
               previous.c_str());
  // A rollback that cannot switch `current` or record itself still starts
  // the previous version; its journal row makes the next start finish it.
  if (!survive("rollback to " + previous + " not finished", [&] { applier.rollback(version, previous, failure); }) &&
      !stdfs::is_directory(layout_.version_dir(previous)))
    fail(ErrorCode::kNoRunnableVersion,
         "no runnable version: " + version + " failed and " + layout_.version_dir(previous).string() + " is missing");
  survive("clean-up failed", [&] { applier.cleanup(); });
  lock.release();
  exec_version(config, previous, options, {{"UPKEEP_ROLLED_BACK_FROM", version}});
}

std::string Launcher::run_update_hook(const std::string& version, const std::string& previous, StateStore& store) {
  try {
    auto run = ReleaseHooks(layout_, store).run(HookKind::kUpdate, version, previous);
    if (!run || run->state == HookRunState::kSucceeded) return "";
    if (!run->output.empty()) std::fprintf(stderr, "launcher: the update hook's output:\n%s\n", run->output.c_str());
    return (run->state == HookRunState::kTimedOut ? "timed out in its update hook " : "failed its update hook ") +
           run->path + " (" + run->detail + ")";
  } catch (const Error& e) {
    // Without verified metadata nothing of this version runs.
    spdlog::error("cannot run the update hook of {}: {}", version, e.what());
    return std::string("could not run its update hook: ") + e.what();
  }
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

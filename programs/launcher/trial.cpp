#include "trial.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

#include "survive.h"
#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/install/applier.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/health_channel.h"

namespace upkeep {
namespace {

constexpr int kMaxTrialStarts = 3;  // a version killed on trial this often counts as failed

bool recorded_good(StateStore& store, const std::string& version) {
  auto r = store.get(version);
  return r && r->state == VersionState::kGood;
}

}  // namespace

int Trial::run(const std::string& version, const std::string& previous) {
  std::string failure;
  if (store_.add_trial_attempt(version) > kMaxTrialStarts) {
    failure = "did not confirm a healthy start in " + std::to_string(kMaxTrialStarts) + " starts";
  } else {
    // Part of the trial: a failing or timed-out update hook fails it.
    failure = run_update_hook(version, previous);
  }
  int exit_code = 0;
  if (failure.empty()) failure = start_and_wait(version, previous, exit_code);
  if (failure.empty()) return exit_code;
  roll_back(version, previous, failure);
}

std::string Trial::start_and_wait(const std::string& version, const std::string& previous, int& exit_code) {
  HealthChannel channel;
  process::SpawnOptions spawn;
  spawn.argv = starter_.command(version);
  spawn.env = starter_.environment(
      version,
      {{env::kTrial, "1"}, {env::kHealthFd, std::to_string(channel.child_fd())}, {env::kPreviousVersion, previous}});
  spawn.inherit_fds = {channel.child_fd()};
  int64_t pid = process::spawn(spawn);
  channel.close_child_end();
  crash_point("trial.spawned");
  auto result = channel.wait(pid, std::chrono::seconds(config_.trial_timeout_seconds));
  const bool exited = result.outcome == HealthChannel::Outcome::kExited;
  // The app records `good` before it writes to the channel: a program that
  // died between the two had confirmed, and what ends it later is no failed start.
  const bool confirmed =
      result.outcome == HealthChannel::Outcome::kConfirmed || (exited && recorded_good(store_, version));
  // Running to a clean end before confirming (e.g. --version) is healthy too.
  if (!confirmed && !(exited && result.status.success()))
    return result.outcome == HealthChannel::Outcome::kTimedOut
               ? "did not confirm a healthy start within " + std::to_string(config_.trial_timeout_seconds) + " s"
               : "failed on its first start (" + result.status.describe() + ")";
  Applier applier(layout_, store_, config_.max_update_failures);
  applier.mark_good(version);
  crash_point("trial.recorded");
  survive("clean-up failed", [&] { applier.cleanup(); });
  lock_.release();
  // Stay the program's parent until it ends, so callers see its exit code.
  exit_code = exited ? result.status.as_exit_code() : process::wait_child(pid).as_exit_code();
  return "";
}

std::string Trial::run_update_hook(const std::string& version, const std::string& previous) {
  try {
    auto run = ReleaseHooks(layout_, store_).run(HookKind::kUpdate, version, previous);
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

void Trial::roll_back(const std::string& version, const std::string& previous, const std::string& failure) {
  std::fprintf(stderr, "launcher: version %s %s; going back to %s\n", version.c_str(), failure.c_str(),
               previous.c_str());
  Applier applier(layout_, store_, config_.max_update_failures);
  // A rollback that cannot switch `current` or record itself still starts
  // the previous version; its journal row makes the next start finish it.
  if (!survive("rollback to " + previous + " not finished", [&] { applier.rollback(version, previous, failure); }) &&
      !std::filesystem::is_directory(layout_.version_dir(previous)))
    fail(ErrorCode::kNoRunnableVersion,
         "no runnable version: " + version + " failed and " + layout_.version_dir(previous).string() + " is missing");
  survive("clean-up failed", [&] { applier.cleanup(); });
  lock_.release();
  starter_.exec(previous, {{"UPKEEP_ROLLED_BACK_FROM", version}});
}

}  // namespace upkeep

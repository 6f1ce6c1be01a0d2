#include "trial.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "survive.h"
#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/runnable_versions.h"
#include "upkeep/install/trash.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/signal_forwarder.h"

namespace upkeep {
namespace {

bool recorded_good(StateStore& store, const std::string& version) {
  auto r = store.get(version);
  return r && r->state == VersionState::kGood;
}


}  // namespace

process::ExitStatus Trial::run(const std::string& version, const std::string& previous) {
  version_ = version;
  previous_ = previous;
  LaunchSpec spec;
  try {
    spec = starter_.spec(version);
  } catch (const Error& e) {
    return go_back(std::string("could not be started (") + e.what() + ")", true,
                   process::ExitStatus::exited_with(static_cast<int>(ErrorCode::kNoRunnableVersion)));
  }
  if (std::string why = before_start(spec.health); !why.empty())
    return go_back(why, true, process::ExitStatus::exited_with(static_cast<int>(ErrorCode::kNoRunnableVersion)));
  HealthChannel channel;
  SignalForwarder forward;
  TrialVerdict verdict = start_and_judge(spec, channel, forward);
  return settle(verdict);
}

std::string Trial::before_start(const HealthRule& rule) {
  if (!lock_) return "";
  int starts = store_.add_trial_attempt(version_);
  // Commands run concurrently without the lock: their starts are no sign of a launcher that died.
  if (rule.kind != HealthRule::Kind::kExit && starts > kMaxTrialStarts)
    return "did not come back from a trial in " + std::to_string(kMaxTrialStarts) + " starts";
  // Part of the trial: a failing or timed-out update hook fails it.
  return run_update_hook();
}

TrialVerdict Trial::start_and_judge(const LaunchSpec& spec, HealthChannel& channel, SignalForwarder& forward) {
  process::Environment env{{env::kTrial, "1"},
                           {env::kHealthFd, std::to_string(channel.child_fd_number())},
                           {env::kPreviousVersion, previous_}};
  try {
    pid_ = starter_.spawn(version_, spec, env, {{channel.child_fd(), channel.child_fd_number()}});
  } catch (const Error& e) {
    return judge_trial(spec.health, TrialEnd{TrialEnd::Kind::kNotStarted, {}, true, e.what()});
  }
  forward.set_child(pid_);
  forward_ = &forward;
  channel.close_child_end();
  crash_point("trial.spawned");
  // A command may be run again while it runs (a pipeline of two): the lock waits for its end.
  if (spec.health.kind == HealthRule::Kind::kExit) release_lock();
  auto window = trial_window(spec.health, config_.trial_timeout_seconds);
  TrialVerdict verdict = judge_trial(spec.health, observe(channel, window, true));
  if (verdict.kind != TrialVerdict::Kind::kUndecided) return verdict;
  release_lock();
  if (handover_) return judge_handover(spec, channel, *window);
  // A confirm-rule program past its window is left alone and decided when it ends.
  spdlog::info("version {} has not confirmed within {} s; decided when it ends", version_, window->count());
  return judge_trial(spec.health, observe(channel, std::nullopt, false));
}

TrialVerdict Trial::judge_handover(const LaunchSpec& spec, HealthChannel& channel, std::chrono::seconds window) {
  // The old program serves until this one is ready: up to the hand-over's
  // ready timeout, counted from the start, then it is stopped.
  auto left = std::max(handover_->ready_timeout() - window, std::chrono::seconds(0));
  TrialEnd end = observe(channel, left, false);
  if (end.kind != TrialEnd::Kind::kAlive) return judge_trial(spec.health, end);
  ended_ = handover_->stop_unready(pid_, version_);
  // Stopped by us: no evidence against the release; the start stays counted (kMaxTrialStarts).
  return {
      TrialVerdict::Kind::kNoEvidence, false, true,
      "not ready within " + std::to_string(std::max(window, handover_->ready_timeout()).count()) + " s of a hand-over"};
}

TrialEnd Trial::observe(HealthChannel& channel, std::optional<std::chrono::milliseconds> window, bool within_window) {
  auto r = channel.wait(pid_, window);
  if (r.outcome == HealthChannel::Outcome::kTimedOut) return {TrialEnd::Kind::kAlive, {}, within_window, ""};
  if (r.outcome == HealthChannel::Outcome::kExited) ended_ = r.status;
  // The app records `good` before it writes to the channel: a program that
  // died between the two had confirmed, and what ended it is no failed start.
  if (r.outcome == HealthChannel::Outcome::kConfirmed || recorded_good(store_, version_))
    return {TrialEnd::Kind::kConfirmed, r.status, within_window, ""};
  TrialEnd end{TrialEnd::Kind::kEnded, r.status, within_window, ""};
  end.asked_to_end = forward_ ? forward_->received() : 0;  // someone asked it to end: not its own failure
  return end;
}

process::ExitStatus Trial::settle(const TrialVerdict& verdict) {
  process::ExitStatus status = ended_.value_or(process::ExitStatus{});
  switch (verdict.kind) {
    case TrialVerdict::Kind::kFailed:
      return go_back(verdict.why, verdict.start_previous_now, status);
    case TrialVerdict::Kind::kNoEvidence:
      spdlog::info("version {} stays on trial: {} is no evidence against it", version_, verdict.why);
      if (!verdict.counted && may_record(true))
        survive("cannot take back the trial start", [&] { store_.uncount_trial_attempt(version_); });
      break;
    case TrialVerdict::Kind::kHealthy:
    case TrialVerdict::Kind::kUndecided:  // not after start_and_judge
      if (handover_ && !ended_) handover_->release_old();
      if (may_record(false)) {
        Applier applier(layout_, store_, config_.max_update_failures);
        survive("cannot record version " + version_ + " as good", [&] { applier.mark_good(version_); });
        crash_point("trial.recorded");
        clean_up(applier);
      }
      break;
  }
  release_lock();
  // Stay the program's parent until it ends, so the caller sees how it ended.
  if (!ended_) ended_ = process::wait_child(pid_);
  return *ended_;
}

process::ExitStatus Trial::go_back(const std::string& why, bool start_now, const process::ExitStatus& status) {
  RunnableVersions runnable(layout_, store_);
  auto pick = runnable.first_of(runnable.rollback_candidates(version_, previous_));
  for (const auto& skipped : pick.skipped) spdlog::warn("not going back to {}", skipped);
  if (!pick.version) {
    std::string message = "version " + version_ + " " + why + ", and no earlier version can start" +
                          (pick.skipped.empty() ? "" : " (" + pick.skipped_text() + ")");
    release_lock();
    if (start_now) fail(ErrorCode::kNoRunnableVersion, message);
    std::fprintf(stderr, "launcher: %s\n", message.c_str());
    return status;
  }
  const std::string& target = *pick.version;
  if (!lock_) {
    std::fprintf(stderr, "launcher: version %s %s; starting %s for this run (%s is read-only for this user)\n",
                 version_.c_str(), why.c_str(), target.c_str(), layout_.root().c_str());
    if (start_now) return start_earlier(target);
    return status;
  }
  std::fprintf(stderr, "launcher: version %s %s; going back to %s%s\n", version_.c_str(), why.c_str(), target.c_str(),
               start_now ? "" : " from the next start");
  if (may_record(true)) {
    Applier applier(layout_, store_, config_.max_update_failures);
    // A rollback that cannot switch `current` or record itself still starts
    // the earlier version; its journal row makes the next start finish it.
    survive("rollback to " + target + " not finished", [&] { applier.rollback(version_, target, why); });
    clean_up(applier);
  }
  release_lock();
  if (start_now) return start_earlier(target);
  return status;
}

process::ExitStatus Trial::start_earlier(const std::string& target) {
  process::Environment env{{"UPKEEP_ROLLED_BACK_FROM", version_}};
  if (handover_) return handover_->start(starter_, target, env);
  starter_.exec(target, env);
}

std::string Trial::run_update_hook() {
  try {
    auto run = ReleaseHooks(layout_, store_).run(HookKind::kUpdate, version_, previous_);
    if (!run || run->state == HookRunState::kSucceeded) return "";
    if (!run->output.empty()) std::fprintf(stderr, "launcher: the update hook's output:\n%s\n", run->output.c_str());
    return (run->state == HookRunState::kTimedOut ? "timed out in its update hook " : "failed its update hook ") +
           run->path + " (" + run->detail + ")";
  } catch (const Error& e) {
    // Without verified metadata nothing of this version runs.
    spdlog::error("cannot run the update hook of {}: {}", version_, e.what());
    return std::string("could not run its update hook: ") + e.what();
  }
}

bool Trial::may_record(bool only_on_trial) {
  if (!lock_) return false;
  if (!locked_) {
    // As long as a launcher that waits for a trial would.
    auto wait = std::chrono::seconds(config_.trial_timeout_seconds + 30);
    if (!survive("cannot record the trial of " + version_,
                 [&] { *lock_ = InstallLock::acquire(layout_.lock_file(), wait); }))
      return false;
    locked_ = true;
  }
  // Another start may have decided meanwhile; the app itself records `good` when it confirms.
  auto r = store_.get(version_);
  bool state_ok = r && (r->state == VersionState::kTrial || (!only_on_trial && r->state == VersionState::kGood));
  return state_ok && layout_.current_version() == version_;
}

void Trial::clean_up(Applier& applier) {
  survive("clean-up failed", [&] { applier.cleanup(); });
  // The launcher is this process: the trash is emptied by another run of it, detached.
  survive("cannot empty the trash", [&] { Trash(layout_).empty_in_background(fs::self_executable_path()); });
}

void Trial::release_lock() {
  if (lock_ && locked_) lock_->release();
  locked_ = false;
}

}  // namespace upkeep

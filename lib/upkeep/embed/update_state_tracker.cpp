#include "upkeep/embed/update_state_tracker.h"

#include <spdlog/spdlog.h>

#include "upkeep/update/release_selector.h"

namespace upkeep {

using Phase = UpdateState::Phase;
using Prompt = UpdateState::Prompt;

UpdateStateTracker::UpdateStateTracker(UpdateState initial, bool forced_prompt, std::shared_ptr<const Clock> clock,
                                       std::function<void(const std::string&)> on_staged)
    : forced_prompt_(forced_prompt),
      clock_(clock),
      on_staged_(std::move(on_staged)),
      state_(std::move(initial)),
      rate_(clock) {
  dispatcher_ = std::thread([this] { dispatch(); });
}

UpdateStateTracker::~UpdateStateTracker() {
  {
    std::lock_guard<std::mutex> g(listeners_mutex_);
    stopping_ = true;
  }
  pending_cv_.notify_all();
  dispatcher_.join();
}

UpdateState UpdateStateTracker::state() const {
  std::lock_guard<std::mutex> g(mutex_);
  return state_;
}

UpdateState UpdateStateTracker::wait_for_change(uint64_t seen_revision, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return state_.revision > seen_revision; });
  return state_;
}

int UpdateStateTracker::subscribe(Listener listener) {
  std::lock_guard<std::mutex> g(listeners_mutex_);
  listeners_[next_id_] = std::move(listener);
  return next_id_++;
}

void UpdateStateTracker::unsubscribe(int id) {
  std::lock_guard<std::mutex> g(listeners_mutex_);
  listeners_.erase(id);
}

void UpdateStateTracker::update(const std::function<bool(UpdateState&)>& edit) {
  std::lock_guard<std::mutex> g(mutex_);
  if (state_.phase == Phase::kRestarting || !edit(state_)) return;
  ++state_.revision;
  changed_.notify_all();
  std::lock_guard<std::mutex> q(listeners_mutex_);  // under mutex_: the queue keeps revision order
  pending_.push_back(state_);
  pending_cv_.notify_one();
}

void UpdateStateTracker::change(const std::function<void(UpdateState&)>& edit) {
  update([&](UpdateState& s) {
    edit(s);
    return true;
  });
}

void UpdateStateTracker::dispatch() {
  std::unique_lock<std::mutex> lock(listeners_mutex_);
  while (true) {
    pending_cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and every change was handed out
    UpdateState s = std::move(pending_.front());
    pending_.pop_front();
    auto listeners = listeners_;
    lock.unlock();
    for (const auto& [id, listener] : listeners) {
      try {
        listener(s);
      } catch (const std::exception& e) {
        spdlog::warn("an update state listener failed: {}", e.what());
      } catch (...) {
        spdlog::warn("an update state listener failed");
      }
    }
    lock.lock();
  }
}

// --- UpdateService's calls (checking threads) --------------------------------
// A check while a version is staged does not hide it: the prompt stays until a newer one downloads.

void UpdateStateTracker::on_check_started() {
  update([&](UpdateState& s) {
    if (!staged_version_.empty()) return false;
    s.phase = Phase::kChecking;
    s.error.clear();
    return true;
  });
}

void UpdateStateTracker::on_up_to_date(const std::string&) {
  update([&](UpdateState& s) {
    if (!staged_version_.empty()) return false;
    s.phase = Phase::kUpToDate;
    s.version.clear();
    s.notes.clear();
    s.critical = false;
    s.bytes_done = s.bytes_total = 0;
    return true;
  });
}

void UpdateStateTracker::on_update_found(const ReleaseInfo& release) {
  update([&](UpdateState& s) {
    if (release.version == staged_version_) return false;  // found staged again
    s.phase = Phase::kDownloading;
    s.version = release.version;
    s.notes = release.notes;
    s.critical = release.critical;
    s.bytes_done = 0;
    s.bytes_total = release.package.length;  // signed; progress says what really comes (a delta)
    s.bytes_per_second = 0;
    s.eta.reset();
    s.error.clear();
    rate_.reset();
    last_progress_.reset();
    return true;
  });
}

void UpdateStateTracker::on_download_progress(uint64_t done, uint64_t total) {
  update([&](UpdateState& s) {
    if (s.phase != Phase::kDownloading) return false;
    rate_.add(done);
    const Clock::TimePoint now = clock_->now();
    const bool due = !last_progress_ || done == total || now - *last_progress_ >= kProgressInterval;
    if (!due) return false;
    last_progress_ = now;
    s.bytes_done = done;
    s.bytes_total = total;
    s.bytes_per_second = rate_.bytes_per_second();
    s.eta = rate_.eta(done, total);
    return true;
  });
}

void UpdateStateTracker::on_verifying(const std::string& version) {
  update([&](UpdateState& s) {
    s.phase = Phase::kVerifying;
    s.version = version;
    s.bytes_done = s.bytes_total;
    s.bytes_per_second = 0;
    s.eta.reset();
    return true;
  });
}

void UpdateStateTracker::on_staged(const ReleaseInfo& release) {
  update([&](UpdateState& s) {
    if (release.version == staged_version_) return false;
    staged_version_ = release.version;
    s.phase = Phase::kStaged;
    s.version = release.version;
    s.notes = release.notes;
    s.critical = release.critical;
    s.bytes_done = s.bytes_total;
    s.bytes_per_second = 0;
    s.eta.reset();
    s.error.clear();
    s.prompt = Prompt::kNone;
    s.dismissed = false;
    s.can_skip = !forced_prompt_ && !release.critical;
    // Before anyone sees kStaged: a restart_now() the UI sends on seeing it finds the version staged.
    if (on_staged_) on_staged_(release.version);
    return true;
  });
}

void UpdateStateTracker::on_error(const std::string& message) {
  update([&](UpdateState& s) {
    if (staged_version_.empty()) s.phase = Phase::kFailed;
    s.error = message;
    return true;
  });
}

void UpdateStateTracker::on_updates_off(const std::string& why) {
  update([&](UpdateState& s) {
    if (staged_version_.empty()) s.phase = Phase::kUpdatesOff;
    s.error = why;
    return true;
  });
}

// --- RestartPolicy's calls (the policy thread) --------------------------------

void UpdateStateTracker::on_restart_notice(const RestartNotice& notice) {
  update([&](UpdateState& s) {
    if (notice.forced)
      s.prompt = Prompt::kForced;
    else
      s.prompt = notice.action == RestartEscalation::Action::kNotify ? Prompt::kNotify : Prompt::kRemind;
    // The deadline's own restart is due now (the escalation has already moved
    // restart_at on, to retry should the save fail): the UI says "now".
    const bool due_now = notice.action == RestartEscalation::Action::kRestart;
    s.restart_at = !notice.forced ? std::nullopt : due_now ? std::optional(clock_->now()) : notice.restart_at;
    s.required_by = notice.required_by;
    s.dismissed = false;
    return true;
  });
}

bool UpdateStateTracker::on_restart_question(const std::string&) {
  // The UI offers the buttons; a click is AppUpdater::restart_now().
  update([&](UpdateState& s) {
    s.prompt = Prompt::kAsk;
    s.dismissed = false;
    return true;
  });
  return false;
}

void UpdateStateTracker::on_nothing_to_restart_for() {
  change([](UpdateState& s) { s.error = "no update is staged: there is nothing to restart for"; });
}

void UpdateStateTracker::on_restart_blocked(const std::string& error, std::optional<std::chrono::minutes> retry_in) {
  change([&](UpdateState& s) {
    s.error = "not restarting: your work could not be saved (" + error + ")";
    if (retry_in) s.error += "; the restart is due again in " + RestartEscalation::describe(*retry_in);
  });
}

void UpdateStateTracker::on_restarting(const std::string& version) {
  change([&](UpdateState& s) {
    s.phase = Phase::kRestarting;
    s.version = version;
    s.error.clear();
  });
}

void UpdateStateTracker::on_skipped(const std::string& version) {
  update([&](UpdateState& s) {
    if (version != staged_version_) return false;
    staged_version_.clear();
    s.phase = Phase::kUpToDate;
    s.version.clear();
    s.notes.clear();
    s.critical = false;
    s.bytes_done = s.bytes_total = 0;
    s.error.clear();
    s.prompt = Prompt::kNone;
    s.restart_at.reset();
    s.required_by.clear();
    s.dismissed = false;
    s.can_skip = false;
    return true;
  });
}

}  // namespace upkeep

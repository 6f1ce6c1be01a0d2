// UpdateStateTracker: the UpdateObserver behind AppUpdater. It turns the
// update core's callbacks (UpdateService's, on the checking threads, and
// RestartPolicy's, on the policy thread) into UpdateState changes: each
// change is one new revision, wakes wait_for_change() and is handed to the
// listeners on the tracker's own dispatch thread, in revision order, with no
// lock held (a listener may call back into AppUpdater).
//
// Download progress is published at most every kProgressInterval (by the
// Clock), and always its first and last report; the rate and ETA come from
// DownloadRate. Once kRestarting, the state no longer changes.
// Thread-safe; the destructor hands the last changes to the listeners, then
// stops the dispatch thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "upkeep/update/download_rate.h"
#include "upkeep/embed/update_state.h"
#include "upkeep/platform/clock.h"
#include "upkeep/update/restart_policy.h"
#include "upkeep/update/update_observer.h"

namespace upkeep {

class UpdateStateTracker : public UpdateObserver {
 public:
  static constexpr std::chrono::milliseconds kProgressInterval{250};
  using Listener = std::function<void(const UpdateState&)>;

  // `forced_prompt`: restart_prompt is "forced" (nothing can be skipped).
  // `on_staged` is called when a version is newly staged, on the checking
  // thread, under the tracker's lock, before the state says kStaged (so the
  // policy thread hears of it before any UI can react): it must only queue
  // the news, never call back into the tracker.
  UpdateStateTracker(UpdateState initial, bool forced_prompt, std::shared_ptr<const Clock> clock,
                     std::function<void(const std::string&)> on_staged);
  ~UpdateStateTracker() override;

  UpdateState state() const;
  UpdateState wait_for_change(uint64_t seen_revision, std::chrono::milliseconds timeout) const;
  int subscribe(Listener listener);
  void unsubscribe(int id);

  // One change made by AppUpdater itself (an error, "Later", a skip): `change` edits the state under the lock.
  void change(const std::function<void(UpdateState&)>& edit);

  // `version` was skipped (VersionSkip): nothing is staged any more; phase kUpToDate.
  void on_skipped(const std::string& version);

  // UpdateService's calls.
  void on_check_started() override;
  void on_up_to_date(const std::string& current_version) override;
  void on_update_found(const ReleaseInfo& release) override;
  void on_download_progress(uint64_t bytes_done, uint64_t bytes_total) override;
  void on_verifying(const std::string& version) override;
  void on_staged(const ReleaseInfo& release) override;
  void on_error(const std::string& message) override;
  void on_updates_off(const std::string& why) override;

  // RestartPolicy's calls.
  void on_restart_notice(const RestartNotice& notice) override;
  bool on_restart_question(const std::string& version) override;
  void on_nothing_to_restart_for() override;
  void on_restart_blocked(const std::string& error, std::optional<std::chrono::minutes> retry_in) override;
  void on_restarting(const std::string& version) override;

 private:
  // Applies `edit` unless restarting or it returns false (nothing changed):
  // then a new revision, waiters woken, the snapshot queued for the listeners.
  void update(const std::function<bool(UpdateState&)>& edit);
  void dispatch();

  const bool forced_prompt_;
  std::shared_ptr<const Clock> clock_;
  std::function<void(const std::string&)> on_staged_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  UpdateState state_;
  std::string staged_version_;  // "" when nothing is staged
  DownloadRate rate_;
  std::optional<Clock::TimePoint> last_progress_;  // when progress was last published

  std::mutex listeners_mutex_;
  std::condition_variable pending_cv_;
  std::map<int, Listener> listeners_;
  int next_id_ = 1;
  std::deque<UpdateState> pending_;  // published, not yet handed to the listeners
  bool stopping_ = false;
  std::thread dispatcher_;
};

}  // namespace upkeep

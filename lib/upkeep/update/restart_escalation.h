// RestartEscalation: when the application offers, reminds of and finally
// forces the restart that applies a staged update, as managed policy's
// restart_prompt and restart_deadline_hours say (docs/launcher-contract.md "Restart prompt").
//
// Decision logic only: no I/O, no threads, no words. RestartPolicy
// (restart_policy.h) drives it on the application's UI thread: poll() once
// a version is staged and again at each Step::wake (earlier is harmless:
// nothing is due, kNone); the UI chooses the words. The time comes from a Clock, so tests set it. The deadline counts
// from `ready_at`, when the version was staged (the state store's
// updated_at), so quitting the application does not move it.
//
//   ask     kAsk at the first poll, then nothing: never reminds, never forces.
//   notify  kNotify, then kRemind every kReminderInterval; never forces.
//   forced  kNotify (with the time left), kRemind every kReminderInterval and
//           kFinalWarnings before the deadline, kRestart at it. Already past
//           the deadline at the first poll: kRestart at once. A user who
//           declines to restart earlier changes nothing: the deadline holds.
//
// Before any restart the application runs its save hook through
// save_before_restart(). A hook that returns false or throws blocks that
// restart (the user's work is never lost to a deadline); a forced restart
// then comes again kSaveRetry later, and so on until the save works or the
// application exits (the launcher applies the update at the next start).
// Missed wake times (a suspended machine) give one reminder, not a burst.
// Not thread-safe: one UI thread owns it.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "upkeep/platform/clock.h"
#include "upkeep/policy/update_settings.h"

namespace upkeep {

// The application's save hook: saves the user's work before a restart to
// update; true when saved (or nothing needed saving). False or an exception
// means not saved: no restart then.
using SaveWork = std::function<bool()>;

class RestartEscalation {
 public:
  using TimePoint = Clock::TimePoint;
  static constexpr std::chrono::minutes kReminderInterval{60};
  static constexpr std::array<std::chrono::minutes, 3> kFinalWarnings{
      std::chrono::minutes(60), std::chrono::minutes(15), std::chrono::minutes(1)};
  static constexpr std::chrono::minutes kSaveRetry{5};

  enum class Action {
    kNone,     // nothing due now
    kAsk,      // ask once whether to restart now (ask)
    kNotify,   // the first notice that an update is ready (notify; forced with the time left)
    kRemind,   // a reminder (forced: with the time left)
    kRestart,  // forced: the deadline has come: save the work, then restart
  };
  struct Step {
    Action action = Action::kNone;
    std::optional<TimePoint> wake;  // poll again then; nullopt: nothing more is ever due
    std::chrono::seconds left{0};   // forced: until the restart (0 at kRestart)
  };
  struct SaveResult {
    bool saved = false;
    std::string error;  // why not, for people
  };

  // `deadline` is restart_deadline_hours (used with kForced). A `ready_at`
  // later than now (a clock set back) counts as now.
  RestartEscalation(RestartPrompt prompt, std::chrono::hours deadline, TimePoint ready_at,
                    std::shared_ptr<const Clock> clock);

  // What is due now, and when to poll next.
  Step poll();

  // Runs `save` and catches what it throws; a failure is logged and counted.
  SaveResult save_before_restart(const SaveWork& save);

  RestartPrompt prompt() const { return prompt_; }
  // kForced: when the restart is (next) due; nullopt otherwise.
  std::optional<TimePoint> restart_at() const;
  int save_failures() const { return save_failures_; }

  // "15 minutes", "1 hour", "1 hour 30 minutes", "23 hours", "less than a minute".
  static std::string describe(std::chrono::seconds d);

 private:
  void schedule_reminder(TimePoint now);
  std::optional<TimePoint> wake() const;

  RestartPrompt prompt_;
  std::shared_ptr<const Clock> clock_;
  TimePoint restart_at_;
  bool announced_ = false;
  TimePoint next_reminder_{};
  int save_failures_ = 0;
};

}  // namespace upkeep

// RestartPolicy: the whole "restart to update" rule of an application that
// embeds UpdateService (docs/launcher-contract.md "Restart prompt"): when to ask, notify,
// remind or force (RestartEscalation, one per staged version, its deadline
// counted from the staging time in the state store), the save-before-
// restart rule (the application's SaveWork hook runs first; no restart
// without it), the headless rule at exit, and the hand-over to the
// launcher (restart_to_update).
//
// Words are the UI's: the policy reports through the UpdateObserver's
// restart calls (on_restart_notice, on_restart_question, ...) and never
// calls the UI otherwise. The application's UI thread owns it:
//
//   policy.staged(v)          when the observer heard on_staged(v)
//   policy.poll(user_asked)   at policy.wake() and after every UI event;
//                             true: the work is saved, restart now
//   policy.at_exit()          once, when leaving; true: restart now
//   policy.restart(args)      hands over to the launcher
//
// Not thread-safe: one thread (the UI's) calls it, and the observer's
// restart calls come on that thread. After a failed save nothing restarts
// and the policy goes on (a forced restart comes again kSaveRetry later);
// restart() throws Error when the launcher cannot be started.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/install/layout.h"
#include "upkeep/platform/clock.h"
#include "upkeep/policy/update_settings.h"
#include "upkeep/update/restart_escalation.h"
#include "upkeep/update/restart_to_update.h"
#include "upkeep/update/update_observer.h"

namespace upkeep {

// What the user is told about a staged version ready to apply
// (UpdateObserver::on_restart_notice): one RestartEscalation step, with
// what forced restart_prompt adds. A plain value: any thread may copy it.
struct RestartNotice {
  RestartEscalation::Action action = RestartEscalation::Action::kNotify;  // kNotify, kRemind or kRestart
  std::string version;
  bool forced = false;                         // restart_prompt "forced": a deadline holds
  std::chrono::seconds left{0};                // forced: until the restart
  std::optional<Clock::TimePoint> restart_at;  // forced: when the restart is due
  std::string required_by;                     // forced: restart_prompt's source ("policy /etc/...json")
};

class RestartPolicy {
 public:
  // `headless`: nobody answers a question (mainapp --headless, config headless).
  RestartPolicy(Layout layout, UpdateSettings settings, bool headless, SaveWork save, UpdateObserver& observer,
                std::shared_ptr<const Clock> clock = SystemClock::instance());

  // Whether the UI should read typed lines while it waits ("restart"):
  // notify and forced wake at their own times; ask reads its answer itself
  // (on_restart_question); headless reads nothing.
  bool reads_typed_lines() const;

  // `version` is staged. One escalation per version: a later check that
  // finds it staged again does not move its deadline.
  void staged(const std::string& version);

  // Does what is due now (notices, the question, a forced restart) and, when
  // `user_asked` (the user typed "restart"), restarts on request. True when
  // the application should restart now: the work is saved.
  bool poll(bool user_asked = false);

  // When poll() is next due; nullopt: only after a UI event.
  std::optional<Clock::TimePoint> wake() const { return wake_; }

  // Call once when the application leaves (UpdateService stopped). True when
  // it should restart to update: poll() said so, or the headless rule holds.
  bool at_exit();

  // Hands over to the launcher (UPKEEP_LAUNCHER) with `app_args` for the new
  // version, then reports on_restarting; the caller then exits. Meant for
  // after poll() or at_exit() said true; Error(kNotFound) before staged()
  // or without a launcher, and then nothing was started or reported.
  // Returns the launcher's pid (restart_to_update's).
  int64_t restart(std::vector<std::string> app_args);
  // The same with the whole request: sockets to hand over (restart_to_update.h);
  // an empty `request.launcher` means UPKEEP_LAUNCHER.
  int64_t restart_with(RestartRequest request);

  // The version a restart applies; nullopt before staged().
  const std::optional<std::string>& version() const { return version_; }

  // When `version` was staged, from the state store's updated_at; now when
  // unrecorded or unreadable (logged): its deadline then counts from now.
  static Clock::TimePoint staged_at(const Layout& layout, const std::string& version, const Clock& clock);

 private:
  RestartNotice notice_of(const RestartEscalation::Step& step) const;
  bool save(std::optional<std::chrono::minutes> retry_in);
  bool headless_restart_at_exit() const;

  Layout layout_;
  UpdateSettings settings_;
  bool headless_;
  SaveWork save_;
  UpdateObserver& observer_;
  std::shared_ptr<const Clock> clock_;
  std::optional<std::string> version_;
  std::optional<RestartEscalation> escalation_;  // of version_
  std::optional<Clock::TimePoint> wake_;
  bool restart_ = false;  // the work is saved: restart
};

}  // namespace upkeep

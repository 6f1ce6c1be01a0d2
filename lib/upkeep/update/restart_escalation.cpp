#include "upkeep/update/restart_escalation.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace upkeep {

using std::chrono::duration_cast;
using std::chrono::seconds;

RestartEscalation::RestartEscalation(RestartPrompt prompt, std::chrono::hours deadline, TimePoint ready_at,
                                     std::shared_ptr<const Clock> clock)
    : prompt_(prompt), clock_(std::move(clock)) {
  restart_at_ = std::min(ready_at, clock_->now()) + deadline;
}

std::optional<RestartEscalation::TimePoint> RestartEscalation::restart_at() const {
  if (prompt_ != RestartPrompt::kForced) return std::nullopt;
  return restart_at_;
}

void RestartEscalation::schedule_reminder(TimePoint now) {
  next_reminder_ = now + kReminderInterval;
  if (prompt_ != RestartPrompt::kForced) return;
  // The countdown's warnings come even when a regular reminder was shown shortly before.
  for (auto w : kFinalWarnings)
    if (TimePoint t = restart_at_ - w; t > now && t < next_reminder_) next_reminder_ = t;
}

std::optional<RestartEscalation::TimePoint> RestartEscalation::wake() const {
  if (prompt_ == RestartPrompt::kAsk) return std::nullopt;
  if (prompt_ == RestartPrompt::kForced) return std::min(next_reminder_, restart_at_);
  return next_reminder_;
}

RestartEscalation::Step RestartEscalation::poll() {
  const TimePoint now = clock_->now();
  Step s;
  if (prompt_ == RestartPrompt::kAsk) {
    if (!announced_) s.action = Action::kAsk;
    announced_ = true;
    return s;
  }
  const bool forced = prompt_ == RestartPrompt::kForced;
  if (forced && now >= restart_at_) {
    // Due again later in case this restart does not happen (the save failed).
    s.action = Action::kRestart;
    announced_ = true;
    restart_at_ = now + kSaveRetry;
    schedule_reminder(now);
    s.wake = wake();
    return s;
  }
  if (!announced_) {
    s.action = Action::kNotify;
    announced_ = true;
    schedule_reminder(now);
  } else if (now >= next_reminder_) {
    s.action = Action::kRemind;
    schedule_reminder(now);
  }
  s.wake = wake();
  if (forced) s.left = duration_cast<seconds>(restart_at_ - now);
  return s;
}

RestartEscalation::SaveResult RestartEscalation::save_before_restart(const SaveWork& save) {
  SaveResult r;
  try {
    r.saved = !save || save();
    if (!r.saved) r.error = "the application could not save it";
  } catch (const std::exception& e) {
    r.error = e.what();
  } catch (...) {
    r.error = "unknown error";
  }
  if (!r.saved) {
    ++save_failures_;
    spdlog::warn("not restarting to update: the user's work was not saved ({}; failure {}){}", r.error, save_failures_,
                 prompt_ == RestartPrompt::kForced ? "; the forced restart is due again in " + describe(kSaveRetry)
                                                   : std::string());
  }
  return r;
}

std::string RestartEscalation::describe(std::chrono::seconds d) {
  auto plural = [](long long n, const char* unit) { return std::to_string(n) + " " + unit + (n == 1 ? "" : "s"); };
  long long minutes = (d.count() + 30) / 60;  // to the nearest minute: a wake-up a moment late still says "15"
  if (minutes <= 0) return "less than a minute";
  if (minutes < 60) return plural(minutes, "minute");
  if (minutes < 120) return minutes == 60 ? "1 hour" : "1 hour " + plural(minutes - 60, "minute");
  return plural((minutes + 30) / 60, "hour");
}

}  // namespace upkeep

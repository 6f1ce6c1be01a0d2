#include "upkeep/update/restart_policy.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/install/state_store.h"
#include "upkeep/update/restart_to_update.h"

namespace upkeep {

using Action = RestartEscalation::Action;

RestartPolicy::RestartPolicy(Layout layout, UpdateSettings settings, bool headless, SaveWork save,
                             UpdateObserver& observer, std::shared_ptr<const Clock> clock)
    : layout_(std::move(layout)),
      settings_(std::move(settings)),
      headless_(headless),
      save_(std::move(save)),
      observer_(observer),
      clock_(std::move(clock)) {}

bool RestartPolicy::reads_typed_lines() const { return !headless_ && settings_.restart_prompt != RestartPrompt::kAsk; }

Clock::TimePoint RestartPolicy::staged_at(const Layout& layout, const std::string& version, const Clock& clock) {
  try {
    StateStore store(layout.state_db(), StateStore::Mode::kReadOnly);
    if (auto r = store.get(version); r && r->updated_at > 0)
      return Clock::TimePoint(std::chrono::seconds(r->updated_at));
  } catch (const std::exception& e) {
    spdlog::warn("cannot read when {} was staged ({}): its restart deadline counts from now", version, e.what());
  }
  return clock.now();
}

void RestartPolicy::staged(const std::string& version) {
  if (version == version_) return;
  version_ = version;
  escalation_.emplace(settings_.restart_prompt, std::chrono::hours(settings_.restart_deadline_hours),
                      staged_at(layout_, version, *clock_), clock_);
}

bool RestartPolicy::poll(bool user_asked) {
  if (restart_) return true;
  if (!escalation_) {
    if (user_asked) observer_.on_nothing_to_restart_for();
    return false;
  }
  RestartEscalation::Step step = escalation_->poll();
  wake_ = step.wake;
  bool restart_now = user_asked;
  // Headless: nobody would answer, so no question (at_exit decides).
  if (step.action == Action::kAsk && !headless_) restart_now = observer_.on_restart_question(*version_);
  if (step.action == Action::kNotify || step.action == Action::kRemind || step.action == Action::kRestart)
    observer_.on_restart_notice(notice_of(step));
  if (step.action == Action::kRestart) restart_now = true;
  if (!restart_now) return false;
  // Only the deadline's own restart comes again; one the user asked for waits to be asked again.
  return save(step.action == Action::kRestart ? std::optional(RestartEscalation::kSaveRetry) : std::nullopt);
}

RestartNotice RestartPolicy::notice_of(const RestartEscalation::Step& step) const {
  RestartNotice n;
  n.action = step.action;
  n.version = *version_;
  n.forced = escalation_->prompt() == RestartPrompt::kForced;
  n.left = step.left;
  n.restart_at = escalation_->restart_at();
  if (n.forced) n.required_by = settings_.sources.at("restart_prompt").describe();
  return n;
}

bool RestartPolicy::save(std::optional<std::chrono::minutes> retry_in) {
  auto saved = escalation_->save_before_restart(save_);
  if (!saved.saved) {
    observer_.on_restart_blocked(saved.error, retry_in);
    return false;
  }
  restart_ = true;
  return true;
}

// Headless machines apply at exit: nobody is there to answer a prompt. Not
// where policy wants the user to decide (download_only), in quiet hours, or
// with restart_prompt notify (never restarts by itself).
bool RestartPolicy::headless_restart_at_exit() const {
  return headless_ && escalation_ && settings_.restart_prompt != RestartPrompt::kNotify &&
         settings_.mode == UpdateMode::kAutomatic && !settings_.in_quiet_hours(*clock_);
}

bool RestartPolicy::at_exit() {
  if (restart_) return true;
  if (!headless_restart_at_exit()) return false;
  return save(std::nullopt);  // the work first, as before any restart
}

int64_t RestartPolicy::restart(std::vector<std::string> app_args) {
  return restart_with(RestartRequest{.app_args = std::move(app_args)});
}

int64_t RestartPolicy::restart_with(RestartRequest request) {
  if (!version_) fail(ErrorCode::kNotFound, "cannot restart to update: no update is staged");
  if (request.launcher.empty()) {
    const char* launcher = std::getenv(env::kLauncher);
    request.launcher = launcher ? launcher : "";
  }
  const int64_t pid = restart_to_update(request);
  observer_.on_restarting(*version_);
  return pid;
}

}  // namespace upkeep

#include "restart_notification.h"

#include <spdlog/spdlog.h>

#include "upkeep/platform/clock.h"

namespace upkeep {

namespace {

using Prompt = UpdateState::Prompt;

desktop::Notification notification_of(const UpdateState& s, const std::string& app_name, uint32_t replaces) {
  desktop::Notification n;
  n.app_name = app_name;
  n.summary = "Version " + s.version + " is ready";
  n.body = "Restart " + app_name + " to update from " + s.running_version + " to " + s.version + ".";
  if (s.prompt == Prompt::kForced && s.restart_at)
    n.body += " It restarts by itself at " + format_local_time(*s.restart_at) + " (required by " + s.required_by + ").";
  n.urgency = s.prompt == Prompt::kForced ? desktop::Urgency::kCritical : desktop::Urgency::kNormal;
  // docs/integration.md "Desktop notification": the click on it restarts; "Later" (a forced deadline holds).
  n.actions = {{"default", "Restart to update"}, {"later", "Later"}};
  n.replaces_id = replaces;
  n.expire_timeout_ms = s.prompt == Prompt::kForced ? 0 : -1;
  return n;
}

// A new prompt, or the same one again (a reminder): what a notification is for.
bool new_prompt(const UpdateState& before, const UpdateState& now) {
  if (now.phase != UpdateState::Phase::kStaged || now.prompt == Prompt::kNone || now.dismissed) return false;
  return now.prompt != before.prompt || now.version != before.version || before.dismissed ||
         (now.prompt != Prompt::kAsk && now.restart_at == before.restart_at && now.error == before.error);
}

}  // namespace

RestartNotification::RestartNotification(AppUpdater& updater, std::function<bool()> page_open, std::string app_name,
                                         const desktop::NotifierOptions& options)
    : updater_(updater), page_open_(std::move(page_open)), app_name_(std::move(app_name)) {
  desktop::NotificationEvents events;
  events.on_action = [this](uint32_t id, const std::string& key) { on_action(id, key); };
  notifier_ = desktop::DesktopNotifier::try_connect(std::move(events), options);
  if (!notifier_) spdlog::info("no desktop notifications: an update ready is shown only by the web UI");
}

RestartNotification::~RestartNotification() {
  if (notifier_) notifier_->stop();
}

void RestartNotification::show(const UpdateState& state) {
  if (!notifier_) return;
  std::lock_guard<std::mutex> g(mutex_);
  UpdateState before = last_;
  last_ = state;
  try {
    if (state.phase == UpdateState::Phase::kRestarting && id_) {
      notifier_->close(id_);
      id_ = 0;
    } else if (new_prompt(before, state) && !page_open_()) {
      id_ = notifier_->show(notification_of(state, app_name_, id_));
      spdlog::info("desktop notification {}: version {} is ready ({})", id_, state.version, prompt_name(state.prompt));
    }
  } catch (const std::exception& e) {
    spdlog::warn("desktop notification: {}", e.what());
  }
}

// On the notifier's thread.
void RestartNotification::on_action(uint32_t id, const std::string& key) {
  spdlog::info("desktop notification {}: {}", id, key);
  if (key == "later")
    updater_.later();
  else
    updater_.restart_now();
  try {
    notifier_->close(id);
  } catch (const std::exception& e) {
    spdlog::warn("desktop notification: {}", e.what());
  }
}

}  // namespace upkeep

// RestartNotification: mainapp's desktop notification that an update is
// ready, for a user who has no terminal and no page of the web UI open
// (docs/web-ui.md "The reference app"): "Version X is ready" with the
// actions "Restart to update" (the click on it) and "Later", urgency
// critical when the restart is forced, normal otherwise. Invoking
// "Restart to update" is AppUpdater::restart_now(), as the page's button.
//
// show() is an AppUpdater listener: on a new restart prompt of a staged
// version (ask, notify, a reminder, forced), when `page_open()` says no
// page shows the app, it shows the notification (replacing its previous
// one); once restarting it closes it. Without a notification server (or a
// session bus) nothing is shown and nothing breaks: that is logged once.
// Thread-safe; the updater must outlive it. The destructor stops the notifier.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "upkeep/desktop/desktop_notifier.h"
#include "upkeep/embed/app_updater.h"

namespace upkeep {

class RestartNotification {
 public:
  RestartNotification(AppUpdater& updater, std::function<bool()> page_open, std::string app_name,
                      const desktop::NotifierOptions& options = {});
  ~RestartNotification();
  RestartNotification(const RestartNotification&) = delete;
  RestartNotification& operator=(const RestartNotification&) = delete;

  void show(const UpdateState& state);
  bool connected() const { return notifier_ != nullptr; }

 private:
  void on_action(uint32_t id, const std::string& key);

  AppUpdater& updater_;
  std::function<bool()> page_open_;
  std::string app_name_;
  std::unique_ptr<desktop::DesktopNotifier> notifier_;  // null: no server
  std::mutex mutex_;
  UpdateState last_;  // the last state seen
  uint32_t id_ = 0;   // the notification shown, 0: none
};

}  // namespace upkeep

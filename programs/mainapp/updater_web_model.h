// UpdaterWebModel: AppUpdater as the web UI's model (webui::WebUiModel):
// the page reads its UpdateState, and its buttons are the user's actions
// (Restart to update, Later, Skip this version, Check for updates).
// Thread-safe, as AppUpdater is; the updater must outlive it.
#pragma once

#include "upkeep/embed/app_updater.h"
#include "upkeep/webui/web_ui_model.h"

namespace upkeep {

class UpdaterWebModel : public webui::WebUiModel {
 public:
  explicit UpdaterWebModel(AppUpdater& updater) : updater_(updater) {}

  UpdateState state() const override { return updater_.state(); }
  UpdateState wait_for_change(uint64_t seen_revision, std::chrono::milliseconds timeout) const override {
    return updater_.wait_for_change(seen_revision, timeout);
  }
  void act(webui::WebUiAction action) override {
    switch (action) {
      case webui::WebUiAction::kRestart:
        return updater_.restart_now();
      case webui::WebUiAction::kLater:
        return updater_.later();
      case webui::WebUiAction::kSkip:
        return updater_.skip_version();
      case webui::WebUiAction::kCheck:
        return updater_.check_now();
    }
  }

 private:
  AppUpdater& updater_;
};

}  // namespace upkeep

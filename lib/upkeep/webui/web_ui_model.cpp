#include "upkeep/webui/web_ui_model.h"

namespace upkeep::webui {

namespace {
constexpr WebUiAction kActions[] = {WebUiAction::kRestart, WebUiAction::kLater, WebUiAction::kSkip,
                                    WebUiAction::kCheck};
}

const char* action_name(WebUiAction action) {
  switch (action) {
    case WebUiAction::kRestart:
      return "restart";
    case WebUiAction::kLater:
      return "later";
    case WebUiAction::kSkip:
      return "skip";
    case WebUiAction::kCheck:
      return "check";
  }
  return "unknown";
}

std::optional<WebUiAction> action_from_name(std::string_view name) {
  for (WebUiAction a : kActions)
    if (name == action_name(a)) return a;
  return std::nullopt;
}

}  // namespace upkeep::webui

#include "upkeep/webui/web_ui_assets.h"

namespace upkeep::webui {

// web_ui_assets() itself is generated (cmake/embed_assets.cmake).
const WebUiAsset* find_web_ui_asset(std::string_view name) {
  for (const WebUiAsset& a : web_ui_assets())
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace upkeep::webui

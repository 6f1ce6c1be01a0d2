// WebUiAsset: one file of lib/upkeep/webui/assets/ (the page, its style,
// script and icon), compiled into the library by cmake/embed_assets.cmake,
// so the web UI needs no files at run time and no network. Constant data:
// any thread.
#pragma once

#include <span>
#include <string_view>

namespace upkeep::webui {

struct WebUiAsset {
  std::string_view name;  // "index.html", "app.js", ...
  std::string_view body;
};

// Every asset, sorted by name.
std::span<const WebUiAsset> web_ui_assets();
// The asset named `name`, or nullptr.
const WebUiAsset* find_web_ui_asset(std::string_view name);

}  // namespace upkeep::webui

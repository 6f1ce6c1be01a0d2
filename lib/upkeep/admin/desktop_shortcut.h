// Desktop shortcut files: writes an application's .desktop entry into the
// applications folder and its icon into the hicolor theme, and removes them.
//
// install_shortcut() writes both atomically (0644); on failure nothing it
// wrote stays. The icon comes from the installed version folder (the path
// checked by DesktopEntry, then confirmed to be a regular file inside that
// folder) and is named after the app id, so the entry's Icon= finds it and
// later versions need no change. remove_shortcut() is idempotent.
// One thread.
#pragma once

#include <filesystem>
#include <optional>

#include "upkeep/admin/desktop_entry.h"
#include "upkeep/admin/install_paths.h"

namespace upkeep::admin {

struct InstalledShortcut {
  std::filesystem::path desktop_entry;
  std::optional<std::filesystem::path> icon;
};

InstalledShortcut install_shortcut(const DesktopEntry& entry, const std::filesystem::path& version_dir,
                                   const InstallPaths& paths);
void remove_shortcut(const std::optional<std::filesystem::path>& desktop_entry,
                     const std::optional<std::filesystem::path>& icon);

}  // namespace upkeep::admin

// DesktopEntry: the desktop shortcut of an installed application, a
// freedesktop.org Desktop Entry (specification 1.4, the newest Debian 12's desktop-file-validate knows) whose Exec is
// the launcher, so updates never need to touch it.
//
// The release's signed metadata carries what the shortcut shows
// (custom.desktop: name, comment, icon, categories; `upkeep release --name
// --comment --icon --categories`). from_metadata() checks it: a wrong type,
// an unknown key, a control character, a category that is not a plain word,
// no registered main category, an icon path that is absolute or leaves the
// version folder are Error(kBadInput) naming the key. render() escapes
// string values and quotes Exec as the specification says, so the result
// passes desktop-file-validate whatever the install path holds (a newline
// in it is refused). Value type; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/base/json.h"

namespace upkeep::admin {

struct DesktopEntry {
  std::string app_id;
  std::string name;
  std::string comment;
  std::optional<std::string> icon_path;  // inside the version folder, '/'-separated
  std::vector<std::string> categories;
  std::filesystem::path exec;  // the launcher

  // `desktop` may be null (no metadata: the app id as name, category Utility).
  static DesktopEntry from_metadata(const Json& desktop, const std::string& app_id, const std::filesystem::path& exec);
  // The metadata object a release stores (vendor side), checked the same way.
  Json to_metadata() const;
  std::string render() const;
};

// The hicolor folder and file extension an icon file goes to: "48x48" and
// ".png" for a square PNG of a size the theme lists, "scalable" and ".svg"
// for SVG. Error(kBadInput) naming the file for anything else.
struct IconKind {
  std::string size_dir;
  std::string extension;
};
IconKind icon_kind(const std::filesystem::path& file);

}  // namespace upkeep::admin

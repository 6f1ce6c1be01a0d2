// UiFace: which face mainapp shows its user, from --ui or how it was started.
//
//   terminal  the terminal UI (lines, the restart question, typed lines), and
//             the web UI's URL printed for the user to open
//   web       the web UI, opened in the browser with xdg-open (unless
//             --no-browser); its URL is printed and logged too
//   none      no web UI: the terminal lines alone
//
// Without --ui: terminal when standard input or output is a terminal,
// else web (started from a desktop shortcut). Thread-safe.
#pragma once

#include <optional>
#include <string>

namespace upkeep {

enum class UiFace { kTerminal, kWeb, kNone };

// Error(kUsage) for a value other than terminal, web or none.
UiFace choose_ui_face(const std::optional<std::string>& option);
const char* ui_face_name(UiFace face);

}  // namespace upkeep

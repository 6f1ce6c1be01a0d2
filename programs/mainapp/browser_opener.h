// Opens mainapp's web UI in the user's browser: `xdg-open URL`, detached.
//
// open_in_browser() never blocks: xdg-open runs in a session of its own
// (its output to the null device) and a thread reaps it, however long the
// browser it starts keeps it. Without a graphical session (neither DISPLAY
// nor WAYLAND_DISPLAY set) it opens nothing: xdg-open would fall back to a
// text browser with no terminal to draw on. Returns whether xdg-open was
// started; a missing xdg-open, or none started, is logged with the URL.
// Thread-safe.
#pragma once

#include <string>

namespace upkeep {

bool open_in_browser(const std::string& url);

}  // namespace upkeep

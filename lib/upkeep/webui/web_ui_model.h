// WebUiModel: the narrow interface through which WebUiServer talks to the
// application: read the update state, wait for it to change, and pass on
// the user's clicks. An app adapts its updater to it (mainapp adapts
// AppUpdater); the web UI never sees UpdateService or the install root.
//
// Thread-safety: the server calls every method from its own request threads,
// several at once, so an implementation must be thread-safe. wait_for_change()
// may block for up to `timeout` and must return then even when nothing changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "upkeep/embed/update_state.h"

namespace upkeep::webui {

// What a button on the page asks for.
enum class WebUiAction {
  kRestart,  // "Restart to update"
  kLater,    // "Later"
  kSkip,     // "Skip this version"
  kCheck,    // "Check for updates" / "Try again"
};

// "restart", "later", "skip", "check" (the path of POST /action/{name}).
const char* action_name(WebUiAction action);
std::optional<WebUiAction> action_from_name(std::string_view name);

class WebUiModel {
 public:
  virtual ~WebUiModel() = default;
  virtual UpdateState state() const = 0;
  // Returns once state().revision > seen_revision, or when `timeout` passes (the state then).
  virtual UpdateState wait_for_change(uint64_t seen_revision, std::chrono::milliseconds timeout) const = 0;
  // The user's click; may throw (the server answers 500 and logs it).
  virtual void act(WebUiAction action) = 0;
};

}  // namespace upkeep::webui

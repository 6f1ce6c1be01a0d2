// ScriptedModel: a WebUiModel whose state a test sets field by field (a
// JSON object: phase and prompt by name, "restart_in" seconds from now to
// the forced deadline), each set() one change with the next revision; the
// clicks it receives go to `on_action`. Shared by webui_fixture (the
// browser tests) and the HTTP tests. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/embed/update_state.h"
#include "upkeep/webui/web_ui_model.h"

namespace upkeep::test {

using webui::WebUiAction;
using webui::WebUiModel;

class ScriptedModel : public WebUiModel {
 public:
  using OnAction = std::function<void(WebUiAction)>;
  ScriptedModel(UpdateState initial, OnAction on_action)
      : initial_(initial), state_(std::move(initial)), on_action_(std::move(on_action)) {}

  UpdateState state() const override {
    std::lock_guard lock(mutex_);
    return state_;
  }
  UpdateState wait_for_change(uint64_t seen, std::chrono::milliseconds timeout) const override {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return state_.revision > seen; });
    return state_;
  }
  void act(WebUiAction action) override { on_action_(action); }

  // Applies `fields` (a JSON object) as one change; returns the new revision.
  uint64_t set(const Json& fields) {
    std::lock_guard lock(mutex_);
    UpdateState& s = state_;
    for (const auto& [key, v] : fields.as_object()) {
      if (key == "phase")
        s.phase = phase_of(v.as_string());
      else if (key == "prompt")
        s.prompt = prompt_of(v.as_string());
      else if (key == "running_version")
        s.running_version = v.as_string();
      else if (key == "version")
        s.version = v.as_string();
      else if (key == "notes")
        s.notes = v.as_string();
      else if (key == "error")
        s.error = v.as_string();
      else if (key == "required_by")
        s.required_by = v.as_string();
      else if (key == "critical")
        s.critical = v.as_bool();
      else if (key == "dismissed")
        s.dismissed = v.as_bool();
      else if (key == "can_skip")
        s.can_skip = v.as_bool();
      else if (key == "bytes_done")
        s.bytes_done = static_cast<uint64_t>(v.as_int());
      else if (key == "bytes_total")
        s.bytes_total = static_cast<uint64_t>(v.as_int());
      else if (key == "bytes_per_second")
        s.bytes_per_second = v.as_double();
      else if (key == "eta_seconds")
        s.eta = v.is_null() ? std::nullopt : std::optional(std::chrono::seconds(v.as_int()));
      else if (key == "restart_in")
        s.restart_at = v.is_null() ? std::nullopt
                                   : std::optional(std::chrono::system_clock::now() + std::chrono::seconds(v.as_int()));
      else
        fail(ErrorCode::kBadInput, "unknown field '" + key + "'");
    }
    return bump(lock);
  }
  uint64_t reset() {
    std::lock_guard lock(mutex_);
    const uint64_t revision = state_.revision;
    state_ = initial_;
    state_.revision = revision;
    return bump(lock);
  }

 private:
  uint64_t bump(const std::lock_guard<std::mutex>&) {
    ++state_.revision;
    changed_.notify_all();
    return state_.revision;
  }
  static UpdateState::Phase phase_of(const std::string& name) {
    for (int i = 0; i <= static_cast<int>(UpdateState::Phase::kNotManaged); ++i)
      if (name == phase_name(static_cast<UpdateState::Phase>(i))) return static_cast<UpdateState::Phase>(i);
    fail(ErrorCode::kBadInput, "unknown phase '" + name + "'");
  }
  static UpdateState::Prompt prompt_of(const std::string& name) {
    for (int i = 0; i <= static_cast<int>(UpdateState::Prompt::kForced); ++i)
      if (name == prompt_name(static_cast<UpdateState::Prompt>(i))) return static_cast<UpdateState::Prompt>(i);
    fail(ErrorCode::kBadInput, "unknown prompt '" + name + "'");
  }

  const UpdateState initial_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  UpdateState state_;
  OnAction on_action_;
};

}  // namespace upkeep::test

#include "upkeep/embed/update_state.h"

#include <cmath>

#include "upkeep/base/json.h"

namespace upkeep {

const char* phase_name(UpdateState::Phase phase) {
  using P = UpdateState::Phase;
  switch (phase) {
    case P::kIdle:
      return "idle";
    case P::kChecking:
      return "checking";
    case P::kUpToDate:
      return "up_to_date";
    case P::kDownloading:
      return "downloading";
    case P::kVerifying:
      return "verifying";
    case P::kStaged:
      return "staged";
    case P::kFailed:
      return "failed";
    case P::kUpdatesOff:
      return "updates_off";
    case P::kRestarting:
      return "restarting";
    case P::kNotManaged:
      return "not_managed";
  }
  return "unknown";
}

const char* prompt_name(UpdateState::Prompt prompt) {
  using P = UpdateState::Prompt;
  switch (prompt) {
    case P::kNone:
      return "none";
    case P::kAsk:
      return "ask";
    case P::kNotify:
      return "notify";
    case P::kRemind:
      return "remind";
    case P::kForced:
      return "forced";
  }
  return "unknown";
}

std::string UpdateState::to_json() const {
  using std::chrono::duration_cast;
  Json j = Json::object();
  j["phase"] = phase_name(phase);
  j["running_version"] = running_version;
  j["version"] = version;
  j["notes"] = notes;
  j["critical"] = critical;
  j["bytes_done"] = bytes_done;
  j["bytes_total"] = bytes_total;
  j["bytes_per_second"] = static_cast<int64_t>(std::llround(bytes_per_second));  // whole bytes: no float noise
  j["eta_seconds"] = eta ? Json(static_cast<int64_t>(eta->count())) : Json();
  j["error"] = error;
  j["prompt"] = prompt_name(prompt);
  // Unix seconds, as the state store keeps times.
  j["restart_at"] =
      restart_at
          ? Json(static_cast<int64_t>(duration_cast<std::chrono::seconds>(restart_at->time_since_epoch()).count()))
          : Json();
  j["required_by"] = required_by;
  j["dismissed"] = dismissed;
  j["can_skip"] = can_skip;
  j["revision"] = revision;
  return j.dump(0);
}

}  // namespace upkeep

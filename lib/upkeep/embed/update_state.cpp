#include "upkeep/embed/update_state.h"

#include <cmath>
#include <ctime>

#include "upkeep/base/json.h"

namespace upkeep {

const char* phase_name(UpdateState::Phase phase) {
  switch (phase) {
    case UpdateState::Phase::kIdle:
      return "idle";
    case UpdateState::Phase::kChecking:
      return "checking";
    case UpdateState::Phase::kUpToDate:
      return "up_to_date";
    case UpdateState::Phase::kDownloading:
      return "downloading";
    case UpdateState::Phase::kVerifying:
      return "verifying";
    case UpdateState::Phase::kStaged:
      return "staged";
    case UpdateState::Phase::kFailed:
      return "failed";
    case UpdateState::Phase::kUpdatesOff:
      return "updates_off";
    case UpdateState::Phase::kRestarting:
      return "restarting";
    case UpdateState::Phase::kNotManaged:
      return "not_managed";
  }
  return "unknown";
}

const char* prompt_name(UpdateState::Prompt prompt) {
  switch (prompt) {
    case UpdateState::Prompt::kNone:
      return "none";
    case UpdateState::Prompt::kAsk:
      return "ask";
    case UpdateState::Prompt::kNotify:
      return "notify";
    case UpdateState::Prompt::kRemind:
      return "remind";
    case UpdateState::Prompt::kForced:
      return "forced";
  }
  return "unknown";
}

namespace {

// RFC 3339 in UTC, "2026-12-06T08:00:00Z".
std::string utc_text(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string UpdateState::to_json() const {
  Json j = Json::object();
  j["phase"] = phase_name(phase);
  j["running_version"] = running_version;
  j["version"] = version;
  j["notes"] = notes;
  j["critical"] = critical;
  j["bytes_done"] = bytes_done;
  j["bytes_total"] = bytes_total;
  j["bytes_per_second"] = std::isfinite(bytes_per_second) ? bytes_per_second : 0.0;
  j["eta_seconds"] = eta ? Json(static_cast<int64_t>(eta->count())) : Json();
  j["error"] = error;
  j["prompt"] = prompt_name(prompt);
  j["restart_at"] = restart_at ? Json(utc_text(*restart_at)) : Json();
  j["required_by"] = required_by;
  j["dismissed"] = dismissed;
  j["can_skip"] = can_skip;
  j["revision"] = revision;
  return j.dump(0);
}

}  // namespace upkeep

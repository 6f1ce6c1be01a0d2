// UpdateState: what the embedded updater is doing, as a UI shows it.
//
// A plain value: AppUpdater hands out copies, any thread may read its own.
// The enums' numbers are part of the C ABI (upkeep/upkeep.h): they never
// change and only grow.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace upkeep {

struct UpdateState {
  enum class Phase : int {
    kIdle = 0,         // started, no check yet
    kChecking = 1,     // refreshing the signed metadata
    kUpToDate = 2,     // the last check found nothing newer
    kDownloading = 3,  // `version` is downloading: bytes_done of bytes_total
    kVerifying = 4,    // downloaded: checking hashes, unpacking into staging
    kStaged = 5,       // `version` is verified and staged: a restart applies it
    kFailed = 6,       // the last check or download failed: `error` says why
    kUpdatesOff = 7,   // managed policy turned updates off: `error` names the file
    kRestarting = 8,   // handed over to the launcher: the application should exit
    kNotManaged = 9,   // not started by a launcher: no updates
  };
  // The restart prompt's level (RestartEscalation, docs/launcher-contract.md "Restart prompt").
  enum class Prompt : int {
    kNone = 0,    // nothing to ask
    kAsk = 1,     // restart_prompt "ask": offer "Restart to update" / "Later"
    kNotify = 2,  // the first notice that `version` is ready
    kRemind = 3,  // a reminder
    kForced = 4,  // restart_prompt "forced": restart_at is the deadline
  };

  Phase phase = Phase::kIdle;
  std::string running_version;
  std::string version;  // the release found, downloading or staged ("" when none)
  std::string notes;    // its release notes, Markdown as the vendor wrote them (untrusted for HTML)
  bool critical = false;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;                 // 0 when unknown
  double bytes_per_second = 0;              // the download's recent rate
  std::optional<std::chrono::seconds> eta;  // when the rate and total are known
  std::string error;                        // kFailed, kUpdatesOff; or why a restart was blocked
  Prompt prompt = Prompt::kNone;
  std::optional<std::chrono::system_clock::time_point> restart_at;  // kForced: the deadline
  std::string required_by;                                          // kForced: who requires it ("policy /etc/...json")
  bool dismissed = false;                                           // "Later": hidden until the next reminder
  bool can_skip = false;  // "Skip this version" is allowed (not forced, not critical)
  uint64_t revision = 0;  // grows by one with every change

  // One JSON object with every field (phase and prompt by name), for a web UI and the C ABI.
  std::string to_json() const;
};

const char* phase_name(UpdateState::Phase phase);     // "idle", "checking", ... "not_managed"
const char* prompt_name(UpdateState::Prompt prompt);  // "none", "ask", "notify", "remind", "forced"

}  // namespace upkeep

// Handover: the launcher's side of a restart without downtime
// (--upkeep-after-pid PID --upkeep-handover; docs/launcher-contract.md).
//
// The old program (PID) keeps serving on the listening sockets it handed
// over while the new version starts on the same sockets (AppStarter passes
// LISTEN_FDS on). Once the new one is ready, release_old() sends SIGTERM to
// PID: the old program stops accepting, finishes its requests and exits.
// Ready is the health confirmation of a version on trial (trial.h calls
// release_old()), or, for a version started here (start()), one byte on
// the readiness pipe whose number is in UPKEEP_READY_FD.
// A new version that ends before it is ready leaves the old one running;
// so does one that is not ready within the ready timeout
// (config.json's handover_ready_timeout_seconds, counted from its start):
// it is stopped (stop_unready(), logged) and the old one serves on.
// One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "app_starter.h"

namespace upkeep {

class Handover {
 public:
  // How long a program asked to end (SIGTERM) by stop_unready() has before it is ended hard.
  static constexpr std::chrono::seconds kStopGrace{5};

  Handover(int64_t old_pid, std::chrono::seconds ready_timeout) : old_pid_(old_pid), ready_timeout_(ready_timeout) {}

  std::chrono::seconds ready_timeout() const { return ready_timeout_; }
  // SIGTERM to the old program, once (later calls do nothing).
  void release_old();
  // Spawns `version` with the readiness pipe, releases the old program once
  // it is ready, stays its parent (forwarding SIGINT, SIGTERM and SIGHUP)
  // and returns how it ended. Not ready within the ready timeout: stopped
  // (stop_unready()). Error when it cannot be started.
  process::ExitStatus start(const AppStarter& starter, const std::string& version,
                            const process::Environment& extra = {});
  // The new program `pid` (our child) was not ready in time: logs it, asks it
  // to end (SIGTERM), ends it hard kStopGrace later, reaps it and returns how
  // it ended. The old program is not released.
  process::ExitStatus stop_unready(int64_t pid, const std::string& version);

 private:
  int64_t old_pid_;
  std::chrono::seconds ready_timeout_;
  bool released_ = false;
};

}  // namespace upkeep

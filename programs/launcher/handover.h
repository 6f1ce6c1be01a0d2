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
// A new version that ends before it is ready leaves the old one running.
// One thread.
#pragma once

#include <cstdint>
#include <string>

#include "app_starter.h"

namespace upkeep {

class Handover {
 public:
  explicit Handover(int64_t old_pid) : old_pid_(old_pid) {}

  // SIGTERM to the old program, once (later calls do nothing).
  void release_old();
  // Spawns `version` with the readiness pipe, releases the old program once
  // it is ready, stays its parent (forwarding SIGINT, SIGTERM and SIGHUP)
  // and returns how it ended. Error when it cannot be started.
  process::ExitStatus start(const AppStarter& starter, const std::string& version,
                            const process::Environment& extra = {});

 private:
  int64_t old_pid_;
  bool released_ = false;
};

}  // namespace upkeep

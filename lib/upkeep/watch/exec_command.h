// ExecCommand: the handler that runs a command after each release
// (`upkeep watch --exec COMMAND`, e.g. an rsync to a server), through
// /bin/sh -c, with UPKEEP_WATCH_REPO (the local repository),
// UPKEEP_WATCH_BUILD (the build folder) and UPKEEP_WATCH_VERSION (the
// release) in its environment, stdin from the null device, its output
// logged (the last 4 KiB). Exit 0 is success; any other exit, a signal or
// the time limit is Error(kFailure) with the status and the output's tail
// (the round is tried again later). One thread at a time.
#pragma once

#include <chrono>
#include <string>

#include "upkeep/watch/release_handler.h"

namespace upkeep::watch {

class ExecCommand : public ReleaseHandler {
 public:
  explicit ExecCommand(std::string command, std::chrono::milliseconds timeout = std::chrono::hours(1));

  std::string name() const override { return "exec"; }
  bool run(WatchRound& round) override;

 private:
  std::string command_;
  std::chrono::milliseconds timeout_;
};

}  // namespace upkeep::watch

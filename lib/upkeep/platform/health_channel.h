// HealthChannel: how a version on trial tells the launcher "I started fine".
//
// The launcher creates the channel, passes its child end to the main
// program (environment variable UPKEEP_HEALTH_FD), and waits for one of:
// the program confirms (report_healthy_to_launcher(), called by
// confirm_healthy_start() once the state store says `good`), the program
// ends, or the trial time runs
// out. No polling: the launcher blocks on the pipe and a process handle.
// Implemented per platform (health_channel_posix.cpp). One thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "upkeep/platform/process.h"

namespace upkeep {

class HealthChannel {
 public:
  HealthChannel();
  ~HealthChannel();
  HealthChannel(const HealthChannel&) = delete;
  HealthChannel& operator=(const HealthChannel&) = delete;

  // The descriptor the child inherits; put it in SpawnOptions::inherit_fds
  // and its number in UPKEEP_HEALTH_FD.
  int child_fd() const { return write_fd_; }
  // Call after spawning so the parent holds no write end (EOF then means the child closed it).
  void close_child_end();

  enum class Outcome { kConfirmed, kExited, kTimedOut };
  struct Result {
    Outcome outcome = Outcome::kExited;
    process::ExitStatus status;  // set for kExited (and kTimedOut after the kill)
  };
  // Waits as described above. On timeout the child is killed and reaped.
  Result wait(int64_t pid, std::chrono::milliseconds timeout);

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
};

// App side: writes the confirmation to the launcher's channel, if this
// process was started on trial. Safe to call more than once (later calls do
// nothing); thread-safe.
void report_healthy_to_launcher();

}  // namespace upkeep

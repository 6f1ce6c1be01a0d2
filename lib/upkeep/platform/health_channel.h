// HealthChannel: how a version on trial tells the launcher "I started fine".
//
// The launcher creates the channel, passes its child end to the main
// program (environment variable UPKEEP_HEALTH_FD), and waits for one of:
// the program confirms (report_healthy_to_launcher(), called by
// confirm_healthy_start() once the state store says `good`), the program
// ends, or the time given runs out. It never ends the program: what a
// trial without a confirmation means is the launcher's health rule
// (launch_spec.h). No polling: the launcher blocks on the pipe and a
// process handle; a signal that interrupts the wait (the launcher forwards
// some, signal_forwarder.h) does not end it.
// Implemented per platform (health_channel_posix.cpp). One thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "upkeep/platform/process.h"

namespace upkeep {

class HealthChannel {
 public:
  HealthChannel();
  ~HealthChannel();
  HealthChannel(const HealthChannel&) = delete;
  HealthChannel& operator=(const HealthChannel&) = delete;

  // The child's end in this process, and the number the child gets it as:
  // put {child_fd(), child_fd_number()} in SpawnOptions::move_fds and the
  // number in UPKEEP_HEALTH_FD. The number is below 10 whenever one of 3..9
  // is not passed on by this process (free or close-on-exec), so a POSIX
  // shell can write to it (`printf 1 >&"$UPKEEP_HEALTH_FD"`: dash takes one digit).
  int child_fd() const { return write_fd_; }
  int child_fd_number() const;
  // Call after spawning so the parent holds no write end (EOF then means the child closed it).
  void close_child_end();

  enum class Outcome { kConfirmed, kExited, kTimedOut };
  struct Result {
    Outcome outcome = Outcome::kExited;
    process::ExitStatus status;  // set for kExited (the child is reaped)
  };
  // Waits as described above, without a time limit when `timeout` is
  // nullopt. kTimedOut: the child still runs (it is neither ended nor
  // reaped); wait() may be called again. After kConfirmed the child runs on
  // too (process::wait_child reaps it).
  Result wait(int64_t pid, std::optional<std::chrono::milliseconds> timeout);

 private:
  int read_fd_ = -1;
  int write_fd_ = -1;
  bool pipe_open_ = true;  // false once the read end saw EOF
};

// App side: writes the confirmation to the launcher's channel, if this
// process was started on trial. Safe to call more than once (later calls do
// nothing); thread-safe.
void report_healthy_to_launcher();
// The one way a program answers its launcher: one byte to the pipe whose
// descriptor the environment variable `fd_variable` names (UPKEEP_HEALTH_FD,
// UPKEEP_READY_FD), then the descriptor closed and the variable unset.
// Nothing when it is unset or names no open descriptor above 2.
void write_byte_to_launcher(const char* fd_variable);

}  // namespace upkeep

// DetachedRun: a program this process waits for up to a deadline, and that
// goes on alone after it (the launcher's check on start: the application
// must start within the deadline even when the check hangs).
//
// The program never is this process's child: it is started by a small
// relay process that the kernel re-parents to init (or the nearest
// subreaper), in a session of its own with stdin from the null device, so
// it can neither become the zombie child of the program this process execs
// next nor get the terminal's Ctrl-C. Until the deadline (or until
// stop_showing()) the relay copies the program's stdout and stderr to this
// process's stderr (never to stdout: that is the application's, perhaps
// piped to a parser; a progress bar is the program's to draw only on a terminal);
// it always appends them to `log_file` too
// (truncated first when over 1 MiB; nothing when it cannot be opened).
// After the deadline it holds neither stream, so whoever reads this
// process's output sees its end when this process (or what it execs) ends.
//
// Only for a single-threaded process (the relay is a fork of it that does
// not exec). One thread. Implemented per platform (detached_run_posix.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "upkeep/platform/process.h"

namespace upkeep {

class DetachedRun {
 public:
  // Starts the program (argv, env; the other SpawnOptions are ignored).
  // Throws Error naming the program when it cannot be started.
  DetachedRun(const process::SpawnOptions& program, const std::filesystem::path& log_file);
  ~DetachedRun();  // stops showing the program's output; never ends it
  DetachedRun(const DetachedRun&) = delete;
  DetachedRun& operator=(const DetachedRun&) = delete;

  int64_t pid() const { return pid_; }
  // How the program ended, when it ended within `timeout`; nullopt when it
  // still runs (and then its output is no longer shown).
  std::optional<process::ExitStatus> wait(std::chrono::milliseconds timeout);

 private:
  void stop_showing();
  int64_t pid_ = -1;
  int status_fd_ = -1;  // the relay's reports
  int show_fd_ = -1;    // open while the relay may write to our stdout and stderr
};

}  // namespace upkeep

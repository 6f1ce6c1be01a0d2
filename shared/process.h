// Process control: spawn, exec, wait, detach, and waiting for an unrelated
// process to end. Implemented per platform (process_posix.cpp).
//
// Functions are thread-safe except exec_replace (which never returns) and
// current_environment (reads the process environment; call it before
// starting threads that call setenv).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace upkeep::process {

using Environment = std::map<std::string, std::string>;

struct ExitStatus {
  bool exited = false;  // false: killed by a signal
  int code = 0;         // exit code when exited
  int signal = 0;       // signal number when killed
  bool success() const { return exited && code == 0; }
  std::string describe() const;  // "exit code 3", "killed by signal 11 (Segmentation fault)"
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path
  Environment env;                // the complete environment of the child
  bool detach = false;            // new session, stdin from /dev/null: outlives the parent
  std::vector<int> inherit_fds;   // descriptors the child keeps (others are close-on-exec)
};

Environment current_environment();

// Starts a child; throws Error naming the program when it cannot be started.
int64_t spawn(const SpawnOptions& options);

// Replaces the current process image. Throws Error if exec fails.
void exec_replace(const std::vector<std::string>& argv, const Environment& env);

// Waits for a child started by spawn().
ExitStatus wait_child(int64_t pid);

// Waits for any process (not necessarily our child) to end; returns false on
// timeout. Uses a process handle (pidfd), not polling.
bool wait_for_exit(int64_t pid, std::chrono::milliseconds timeout);

bool is_alive(int64_t pid);
void kill_hard(int64_t pid);  // SIGKILL / TerminateProcess
int64_t current_pid();

}  // namespace upkeep::process

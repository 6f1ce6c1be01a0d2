// Process control: spawn, exec, wait, detach, and waiting for an unrelated
// process to end. Implemented per platform (process_posix.cpp).
//
// Functions are thread-safe except exec_replace (which never returns) and
// current_environment (reads the process environment; call it before
// starting threads that call setenv).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace upkeep::process {

using Environment = std::map<std::string, std::string>;

struct ExitStatus {
  bool exited = false;  // false: killed by a signal
  int code = 0;         // exit code when exited
  int signal = 0;       // signal number when killed
  bool success() const { return exited && code == 0; }
  // As a shell reports it: the exit code, or 128 + the signal.
  int as_exit_code() const { return exited ? code : 128 + signal; }
  std::string describe() const;  // "exit code 3", "killed by signal 11 (Segmentation fault)"
  static ExitStatus exited_with(int code) { return {true, code, 0}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path
  Environment env;                // the complete environment of the child
  bool detach = false;            // new session, stdin from /dev/null: outlives the parent
  std::vector<int> inherit_fds;   // descriptors the child keeps (others are close-on-exec)
  // (from, to): in the child, `from` is duplicated onto `to`, which the
  // program inherits; `to` must not be a descriptor it would inherit anyway.
  std::vector<std::pair<int, int>> move_fds;
  std::filesystem::path cwd;       // the child's working directory; empty: the parent's
  bool own_process_group = false;  // the child leads a new process group (kill_group reaches its descendants)
  bool stdin_null = false;         // stdin from the null device
  int output_fd = -1;              // when >= 0: the child's stdout and stderr both go here
  int error_fd = -1;               // when >= 0: the child's stderr goes here instead
  bool stderr_null = false;        // the child's stderr to the null device (run_captured then reads stdout alone)
  // The child's environment gets LISTEN_PID=<its own pid> (sd_listen_fds:
  // the sockets it inherits are meant for it), set between fork and exec.
  bool set_listen_pid = false;
};

// What run_captured() saw.
struct CapturedRun {
  ExitStatus status;
  bool timed_out = false;     // the time limit passed and the program's group was ended
  std::string output_tail;    // the last bytes of its stdout and stderr together
  uint64_t output_bytes = 0;  // how much it wrote in all
};

Environment current_environment();

// Starts a child; throws Error naming the program when it cannot be started.
int64_t spawn(const SpawnOptions& options);

// Replaces the current process image. Throws Error if exec fails.
void exec_replace(const std::vector<std::string>& argv, const Environment& env);

// Puts this process behind others for the CPU (nice 19) and the disk (the
// lowest best-effort I/O priority), for work nobody waits for (emptying
// the trash). Best effort: a refusal is ignored.
void lower_own_priority();

// Waits for a child started by spawn().
ExitStatus wait_child(int64_t pid);

// Ends this process the way `status` says another one ended: exit(code), or
// death by the same signal (its default action, without a core file), so
// whoever waits for this process (a shell) sees what the child did.
[[noreturn]] void exit_like(const ExitStatus& status);

// Runs a program to its end with a time limit: in its own process group,
// stdin from the null device, stdout and stderr into one pipe that is read
// as it comes (the last `tail_bytes` kept). It waits on the pipe and a
// process handle, no polling. When `timeout` passes the whole group is asked
// to end, and `grace` later (or as soon as the program itself ended) it is
// ended hard; whatever the program leaves running in its group when it ends
// is ended hard too. The program is reaped before this returns. Throws
// Error naming the program when it cannot be started.
CapturedRun run_captured(SpawnOptions options, std::chrono::milliseconds timeout, size_t tail_bytes,
                         std::chrono::milliseconds grace = std::chrono::seconds(2));

// Ends every process of a process group: asks (SIGTERM) or, `hard`, forces (SIGKILL).
void kill_group(int64_t pgid, bool hard);

// Waits for any process (not necessarily our child) to end; returns false on
// timeout. Uses a process handle (pidfd), not polling.
bool wait_for_exit(int64_t pid, std::chrono::microseconds timeout);

bool is_alive(int64_t pid);
void kill_hard(int64_t pid);  // SIGKILL / TerminateProcess
int64_t current_pid();

}  // namespace upkeep::process

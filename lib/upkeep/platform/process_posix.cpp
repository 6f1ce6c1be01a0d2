// POSIX implementation of process.h.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/platform/process.h"

extern char** environ;

namespace upkeep::process {
namespace {

// Why a program did not start: missing (kNotFound), else kFailure. The launcher
// says kNoRunnableVersion for either (AppStarter); a hook's failure is its own.
ErrorCode start_error_code(int err) { return err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailure; }

// A program we start gets an empty signal mask: what its starter blocked
// (mainapp blocks SIGTERM for sigwait, and a launcher it starts inherits
// that) must not keep a vendor's app from ending on SIGTERM. Async-signal-safe.
void unblock_all_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

struct CStrings {
  std::vector<std::string> storage;
  std::vector<char*> ptrs;
  explicit CStrings(std::vector<std::string> s) : storage(std::move(s)) {
    for (auto& x : storage) ptrs.push_back(x.data());
    ptrs.push_back(nullptr);
  }
};

CStrings env_strings(const Environment& env) {
  std::vector<std::string> v;
  v.reserve(env.size());
  for (const auto& [k, val] : env) v.push_back(k + "=" + val);
  return CStrings(std::move(v));
}

// The last `limit` bytes of everything appended, without growing past about twice that.
class Tail {
 public:
  explicit Tail(size_t limit) : limit_(limit) {}
  void append(const char* p, size_t n) {
    total_ += n;
    buf_.append(p, n);
    if (buf_.size() > 2 * limit_ + 4096) buf_.erase(0, buf_.size() - limit_);
  }
  std::string take() {
    if (buf_.size() > limit_) buf_.erase(0, buf_.size() - limit_);
    return std::move(buf_);
  }
  uint64_t total() const { return total_; }

 private:
  size_t limit_;
  uint64_t total_ = 0;
  std::string buf_;
};

// Reads what a non-blocking pipe holds now; false once every writer has closed it.
bool read_available(int fd, Tail& tail) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      tail.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return false;
    } else if (errno != EINTR) {
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
  }
}

constexpr const char kListenPid[] = "LISTEN_PID=";

// Writes `pid` in decimal after "LISTEN_PID=" in a slot made long enough
// before fork: no allocation, so it is safe between fork and exec.
void write_listen_pid(char* slot, long pid) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + pid % 10);
    pid /= 10;
  } while (pid > 0);
  char* p = slot + sizeof kListenPid - 1;
  while (n > 0) *p++ = digits[--n];
  *p = '\0';
}

int open_pidfd(int64_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)); }

// In a forked child, before exec: stdin, stdout and stderr as `options` say
// (open and dup2 only: safe between fork and exec).
void set_standard_streams(const SpawnOptions& options) {
  if (options.detach || options.stdin_null) {
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) dup2(devnull, 0);
  }
  if (options.output_fd >= 0) {
    dup2(options.output_fd, 1);
    dup2(options.output_fd, 2);
  }
  if (options.error_fd >= 0) dup2(options.error_fd, 2);
  if (options.stderr_null) {
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);  // the dup2 copy stays open across exec
    if (devnull >= 0) dup2(devnull, 2);
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

Environment current_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env.emplace(std::string(static_cast<const char*>(*e), eq), std::string(eq + 1));
  }
  return env;
}

int64_t spawn(const SpawnOptions& options) {
  if (options.argv.empty()) fail(ErrorCode::kUsage, "spawn: empty command");
  CStrings argv(options.argv);
  Environment env = options.env;
  // A slot for the child's pid, filled in after fork (write_listen_pid).
  if (options.set_listen_pid) env["LISTEN_PID"] = std::string(22, '0');
  CStrings envp = env_strings(env);
  char* listen_pid_slot = nullptr;
  for (char* e : envp.ptrs)
    if (e && std::strncmp(e, kListenPid, sizeof kListenPid - 1) == 0 && options.set_listen_pid) listen_pid_slot = e;
  std::string cwd = options.cwd.string();
  // A pipe with close-on-exec tells the parent whether exec succeeded: {step, errno}, step 1 = chdir.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, std::string("pipe: ") + std::strerror(errno));
  // Out of the way of low descriptors the child gets moved onto (move_fds: 3, 4, ...).
  if (int high = fcntl(status_pipe[1], F_DUPFD_CLOEXEC, 64); high >= 0) {
    close(status_pipe[1]);
    status_pipe[1] = high;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(status_pipe[0]);
    close(status_pipe[1]);
    fail(ErrorCode::kFailure, "cannot start " + options.argv[0] + ": " + std::strerror(err));
  }
  if (pid == 0) {
    close(status_pipe[0]);
    for (int fd : options.inherit_fds) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0) fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
    }
    for (auto [from, to] : options.move_fds) {
      if (from != to) {
        dup2(from, to);  // the copy is not close-on-exec
      } else {
        fcntl(to, F_SETFD, fcntl(to, F_GETFD) & ~FD_CLOEXEC);
      }
    }
    if (options.detach) setsid();
    if (options.own_process_group && !options.detach) setpgid(0, 0);
    set_standard_streams(options);
    signal(SIGPIPE, SIG_DFL);
    unblock_all_signals();
    if (listen_pid_slot) write_listen_pid(listen_pid_slot, static_cast<long>(getpid()));
    int failure[2] = {0, 0};
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) {
      failure[0] = 1;
    } else {
      execve(argv.ptrs[0], argv.ptrs.data(), envp.ptrs.data());
    }
    failure[1] = errno;
    ssize_t w = write(status_pipe[1], failure, sizeof failure);
    (void)w;
    _exit(127);
  }
  // Set here too, so the group exists before the caller may signal it.
  if (options.own_process_group && !options.detach) setpgid(pid, pid);
  close(status_pipe[1]);
  int failure[2] = {0, 0};
  ssize_t n;
  while ((n = read(status_pipe[0], failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  close(status_pipe[0]);
  if (n == sizeof failure) {
    waitpid(pid, nullptr, 0);
    std::string where = failure[0] == 1 ? " in " + cwd : "";
    fail(start_error_code(failure[1]), "cannot start " + options.argv[0] + where + ": " + std::strerror(failure[1]));
  }
  return pid;
}

void exec_replace(const std::vector<std::string>& args, const Environment& env) {
  if (args.empty()) fail(ErrorCode::kUsage, "exec: empty command");
  CStrings argv(args);
  CStrings envp = env_strings(env);
  sigset_t none, blocked;  // one syscall on the launcher's fast path
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, &blocked);
  execve(argv.ptrs[0], argv.ptrs.data(), envp.ptrs.data());
  int err = errno;
  sigprocmask(SIG_SETMASK, &blocked, nullptr);
  fail(start_error_code(err), "cannot start " + args[0] + ": " + std::strerror(err));
}

ExitStatus wait_child(int64_t pid) {
  int status = 0;
  while (waitpid(static_cast<pid_t>(pid), &status, 0) < 0) {
    if (errno != EINTR) fail(ErrorCode::kFailure, "waitpid " + std::to_string(pid) + ": " + std::strerror(errno));
  }
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

void exit_like(const ExitStatus& status) {
  if (status.exited) std::exit(status.code);
  // No core file of ours for the child's crash: it dumped its own, if any.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  signal(status.signal, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, status.signal);
  sigprocmask(SIG_UNBLOCK, &one, nullptr);
  raise(status.signal);
  std::exit(128 + status.signal);  // a signal whose default action is not to end the process
}

CapturedRun run_captured(SpawnOptions options, std::chrono::milliseconds timeout, size_t tail_bytes,
                         std::chrono::milliseconds grace) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, std::string("pipe: ") + std::strerror(errno));
  // Only our end is non-blocking: the program's writes must block as usual when the pipe is full.
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  options.own_process_group = true;
  options.stdin_null = true;
  options.output_fd = out[1];
  int64_t pid = -1;
  try {
    pid = spawn(options);
  } catch (...) {
    close(out[0]);
    close(out[1]);
    throw;
  }
  close(out[1]);
  // The pidfd sees the program end even while something it started still holds the pipe.
  int pidfd = open_pidfd(pid);
  Tail tail(tail_bytes);
  CapturedRun r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool pipe_open = true;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      if (r.timed_out) break;  // the grace is over too
      r.timed_out = true;
      kill_group(pid, false);
      deadline = std::chrono::steady_clock::now() + grace;
      continue;
    }
    pollfd p[2] = {{pipe_open ? out[0] : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = poll(p, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    if (pipe_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) pipe_open = read_available(out[0], tail);
    // Without a pidfd (old kernels) the end of the output stands for the end of the program.
    if (pidfd >= 0 ? (p[1].revents & POLLIN) != 0 : !pipe_open) break;
  }
  // Before reaping: the unreaped leader keeps the group id from being reused.
  kill_group(pid, true);
  if (pipe_open) read_available(out[0], tail);
  close(out[0]);
  if (pidfd >= 0) close(pidfd);
  r.status = wait_child(pid);
  r.output_bytes = tail.total();
  r.output_tail = tail.take();
  return r;
}

void kill_group(int64_t pgid, bool hard) {
  if (pgid <= 1) fail(ErrorCode::kUsage, "kill_group: " + std::to_string(pgid) + " is not a process group id");
  ::kill(-static_cast<pid_t>(pgid), hard ? SIGKILL : SIGTERM);
}

bool wait_for_exit(int64_t pid, std::chrono::microseconds timeout) {
  int pidfd = open_pidfd(pid);
  if (pidfd < 0) {
    if (errno == ESRCH) return true;  // already gone
    fail(ErrorCode::kFailure, "cannot watch process " + std::to_string(pid) + ": " + std::strerror(errno));
  }
  pollfd p{pidfd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int rc;
  while (true) {
    // ppoll: microseconds matter to a caller that picks the moment to kill a process.
    auto left = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now()).count());
    timespec ts{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
    rc = ppoll(&p, 1, &ts, nullptr);
    if (rc < 0 && errno == EINTR) continue;
    break;
  }
  close(pidfd);
  return rc > 0;
}

bool is_alive(int64_t pid) { return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

void kill_hard(int64_t pid) { kill(static_cast<pid_t>(pid), SIGKILL); }

int64_t current_pid() { return getpid(); }

void lower_own_priority() {
  (void)::setpriority(PRIO_PROCESS, 0, 19);
  // ioprio_set(IOPRIO_WHO_PROCESS = 1, self, best effort (2 << IOPRIO_CLASS_SHIFT 13), lowest level 7):
  // no glibc wrapper. Not the idle class, which a busy disk may starve for good.
  (void)::syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 7);
}

}  // namespace upkeep::process

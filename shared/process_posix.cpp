// POSIX implementation of process.h.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.h"
#include "process.h"

extern char** environ;

namespace upkeep::process {
namespace {

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
  CStrings envp = env_strings(options.env);
  // A pipe with close-on-exec tells the parent whether exec succeeded.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, std::string("pipe: ") + std::strerror(errno));
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
    if (options.detach) {
      setsid();
      int devnull = open("/dev/null", O_RDWR);
      if (devnull >= 0) dup2(devnull, 0);
    }
    signal(SIGPIPE, SIG_DFL);
    execve(argv.ptrs[0], argv.ptrs.data(), envp.ptrs.data());
    int err = errno;
    ssize_t w = write(status_pipe[1], &err, sizeof err);
    (void)w;
    _exit(127);
  }
  close(status_pipe[1]);
  int child_err = 0;
  ssize_t n;
  while ((n = read(status_pipe[0], &child_err, sizeof child_err)) < 0 && errno == EINTR) {
  }
  close(status_pipe[0]);
  if (n == sizeof child_err) {
    waitpid(pid, nullptr, 0);
    fail(child_err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailure,
         "cannot start " + options.argv[0] + ": " + std::strerror(child_err));
  }
  return pid;
}

void exec_replace(const std::vector<std::string>& args, const Environment& env) {
  if (args.empty()) fail(ErrorCode::kUsage, "exec: empty command");
  CStrings argv(args);
  CStrings envp = env_strings(env);
  execve(argv.ptrs[0], argv.ptrs.data(), envp.ptrs.data());
  int err = errno;
  fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailure, "cannot start " + args[0] + ": " + std::strerror(err));
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

bool wait_for_exit(int64_t pid, std::chrono::milliseconds timeout) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  if (pidfd < 0) {
    if (errno == ESRCH) return true;  // already gone
    fail(ErrorCode::kFailure, "cannot watch process " + std::to_string(pid) + ": " + std::strerror(errno));
  }
  pollfd p{pidfd, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int rc;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    rc = poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (rc < 0 && errno == EINTR) continue;
    break;
  }
  close(pidfd);
  return rc > 0;
}

bool is_alive(int64_t pid) { return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

void kill_hard(int64_t pid) { kill(static_cast<pid_t>(pid), SIGKILL); }

int64_t current_pid() { return getpid(); }

}  // namespace upkeep::process

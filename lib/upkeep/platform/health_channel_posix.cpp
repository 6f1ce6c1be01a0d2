// POSIX implementation of health_channel.h: a pipe plus a pidfd.
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/platform/health_channel.h"

namespace upkeep {

HealthChannel::HealthChannel() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    fail(ErrorCode::kFailure, std::string("cannot create health pipe: ") + std::strerror(errno));
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

HealthChannel::~HealthChannel() {
  if (read_fd_ >= 0) close(read_fd_);
  if (write_fd_ >= 0) close(write_fd_);
}

int HealthChannel::child_fd_number() const {
  for (int fd = 3; fd <= 9; ++fd) {
    int flags = fcntl(fd, F_GETFD);
    if (fd == write_fd_ || flags < 0 || (flags & FD_CLOEXEC)) return fd;  // not inherited by a program we exec
  }
  return write_fd_;
}

void HealthChannel::close_child_end() {
  if (write_fd_ >= 0) close(write_fd_);
  write_fd_ = -1;
}

HealthChannel::Result HealthChannel::wait(int64_t pid, std::optional<std::chrono::milliseconds> timeout) {
  Result r;
  // The pidfd catches an exit even when a grandchild still holds the pipe open.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  const auto deadline = std::chrono::steady_clock::now() + timeout.value_or(std::chrono::milliseconds(0));
  r.outcome = Outcome::kTimedOut;
  while (true) {
    int wait_ms = -1;
    if (timeout) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p[2] = {{pipe_open_ ? read_fd_ : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = poll(p, 2, wait_ms);
    if (rc < 0 && errno == EINTR) continue;  // e.g. a signal the launcher forwarded
    if (rc <= 0) break;                      // timed out (or poll failed: treated alike)
    if (pipe_open_ && (p[0].revents & (POLLIN | POLLHUP))) {
      char c;
      ssize_t n = read(read_fd_, &c, 1);
      if (n == 1) {
        r.outcome = Outcome::kConfirmed;
        break;
      }
      if (n == 0) pipe_open_ = false;  // closed: the child exited or dropped the channel
    }
    if (p[1].revents & POLLIN || (!pipe_open_ && pidfd < 0)) {
      r.outcome = Outcome::kExited;
      r.status = process::wait_child(pid);
      break;
    }
  }
  if (pidfd >= 0) close(pidfd);
  return r;
}

void write_byte_to_launcher(const char* fd_variable) {
  const char* v = std::getenv(fd_variable);
  if (!v) return;
  char* end = nullptr;
  long fd = std::strtol(v, &end, 10);
  unsetenv(fd_variable);
  if (!end || *end || fd < 3) return;
  // Only write to the descriptor if it really is open (the write end of the launcher's pipe).
  if (fcntl(static_cast<int>(fd), F_GETFD) < 0) return;
  char ok = '1';
  ssize_t w = write(static_cast<int>(fd), &ok, 1);
  (void)w;
  close(static_cast<int>(fd));
}

void report_healthy_to_launcher() {
  static std::atomic<bool> done{false};
  if (done.exchange(true)) return;
  write_byte_to_launcher(env::kHealthFd);
}

}  // namespace upkeep

// POSIX implementation of detached_run.h: fork, fork again (the middle
// process exits at once, so the relay is adopted by init), and the relay
// spawns the program and copies its output.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/platform/detached_run.h"

namespace upkeep {
namespace {

constexpr off_t kMaxLogBytes = 1 << 20;

// What the relay tells the waiting process, one fixed-size record each.
enum Report : int { kStarted = 1, kCannotStart = 2, kEnded = 3 };
struct Record {
  int kind = 0;
  int64_t a = 0;  // kStarted: the pid; kEnded: 1 when it exited
  int64_t b = 0;  // kEnded: exit code or signal
};

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a closed reader or a full disk: the copy is best effort
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void report(int fd, const Record& r) { write_all(fd, reinterpret_cast<const char*>(&r), sizeof r); }

// Closes every descriptor above stderr but `keep`: the relay holds nothing of
// the launcher's (a lock, a socket handed over) while the program runs.
void close_other_descriptors(std::initializer_list<int> keep) {
  std::vector<int> open;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') open.push_back(std::atoi(e->d_name));
    ::closedir(d);
  }
  for (int fd : open)
    if (fd > 2 && std::find(keep.begin(), keep.end(), fd) == keep.end()) ::close(fd);
}

int open_log(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
  struct stat st {};
  if (fd >= 0 && ::fstat(fd, &st) == 0 && st.st_size > kMaxLogBytes) {
    int ignored = ::ftruncate(fd, 0);
    (void)ignored;
  }
  return fd;
}

// The relay: copies the program's stdout and stderr until it ends, then reports how.
[[noreturn]] void relay(const process::SpawnOptions& program, const std::filesystem::path& log_file, int status_fd,
                        int show_fd) {
  ::setsid();
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
  ::signal(SIGPIPE, SIG_IGN);  // the waiting process may be gone: its report pipe then fails quietly
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ::dup2(devnull, 0);
  int log = open_log(log_file);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    report(status_fd, {kCannotStart, errno, 0});
    ::_exit(1);
  }
  // The rest are close-on-exec: the program inherits none of them.
  close_other_descriptors({status_fd, show_fd, devnull, log, out[0], out[1], err[0], err[1]});
  process::SpawnOptions o;
  o.argv = program.argv;
  o.env = program.env;
  o.stdin_null = true;
  o.output_fd = out[1];
  o.error_fd = err[1];
  int64_t pid = -1;
  try {
    pid = process::spawn(o);
  } catch (const std::exception&) {
    report(status_fd, {kCannotStart, 0, 0});
    ::_exit(1);
  }
  ::close(out[1]);
  ::close(err[1]);
  report(status_fd, {kStarted, pid, 0});
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
  // Shown on this process's stderr, never on stdout: that is the
  // application's output, perhaps piped to a parser.
  bool showing = true;
  ::dup2(devnull, 1);
  int open_pipes = 2;
  char buf[4096];
  while (open_pipes > 0) {
    pollfd p[4] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {showing ? show_fd : -1, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (::poll(p, 4, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[2].fd >= 0 && p[2].revents) {  // the waiting process stopped waiting (or is gone)
      showing = false;
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(p[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(i == 0 ? out[0] : err[0]);
        (i == 0 ? out[0] : err[0]) = -1;
        --open_pipes;
        continue;
      }
      if (log >= 0) write_all(log, buf, static_cast<size_t>(n));
      if (showing) write_all(2, buf, static_cast<size_t>(n));
    }
    if (p[3].revents & POLLIN) {
      // Ended: copy what is left, without waiting for something it started that may hold its output open.
      for (int fd : {out[0], err[0]}) {
        if (fd < 0) continue;
        ::fcntl(fd, F_SETFL, O_NONBLOCK);
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) {
          if (log >= 0) write_all(log, buf, static_cast<size_t>(n));
          if (showing) write_all(2, buf, static_cast<size_t>(n));
        }
      }
      break;
    }
  }
  process::ExitStatus s = process::wait_child(pid);
  report(status_fd, {kEnded, s.exited ? 1 : 0, s.exited ? s.code : s.signal});
  ::_exit(0);
}

bool read_record(int fd, Record& r) {
  char* p = reinterpret_cast<char*>(&r);
  size_t got = 0;
  while (got < sizeof r) {
    ssize_t n = ::read(fd, p + got, sizeof r - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

DetachedRun::DetachedRun(const process::SpawnOptions& program, const std::filesystem::path& log_file) {
  if (program.argv.empty()) fail(ErrorCode::kUsage, "DetachedRun: empty command");
  int status[2], show[2];
  if (::pipe2(status, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(show, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(status[0]);
    ::close(status[1]);
    fail(ErrorCode::kFailure, std::string("pipe: ") + std::strerror(e));
  }
  std::fflush(nullptr);  // nothing buffered is written twice
  pid_t middle = ::fork();
  if (middle == 0) {
    ::close(status[0]);
    ::close(show[1]);
    pid_t r = ::fork();
    if (r == 0) relay(program, log_file, status[1], show[0]);
    ::_exit(r < 0 ? 1 : 0);
  }
  ::close(status[1]);
  ::close(show[0]);
  status_fd_ = status[0];
  show_fd_ = show[1];
  if (middle > 0) {
    while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  Record r;
  if (middle < 0 || !read_record(status_fd_, r) || r.kind != kStarted) {
    stop_showing();
    ::close(status_fd_);
    status_fd_ = -1;
    fail(ErrorCode::kFailure, "cannot start " + program.argv[0]);
  }
  pid_ = r.a;
}

DetachedRun::~DetachedRun() {
  stop_showing();
  if (status_fd_ >= 0) ::close(status_fd_);
}

void DetachedRun::stop_showing() {
  if (show_fd_ >= 0) ::close(show_fd_);
  show_fd_ = -1;
}

std::optional<process::ExitStatus> DetachedRun::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (status_fd_ >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{status_fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    Record r;
    process::ExitStatus s;
    if (!read_record(status_fd_, r) || r.kind != kEnded) {
      s.exited = true;  // the relay died without a report: an unknown failure
      s.code = static_cast<int>(ErrorCode::kFailure);
    } else {
      s.exited = r.a == 1;
      (s.exited ? s.code : s.signal) = static_cast<int>(r.b);
    }
    ::close(status_fd_);
    status_fd_ = -1;
    return s;
  }
  stop_showing();
  return std::nullopt;
}

}  // namespace upkeep

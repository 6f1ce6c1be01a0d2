// POSIX implementation of install_lock.h.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"

namespace upkeep {
namespace {

int open_lock_file(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fs::fail_errno("cannot open lock file", file, errno);  // a read-only root: kPermission
  return fd;
}

// Records the holder's pid in the file, for the timeout message only.
void note_holder(int fd) {
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t w = ::pwrite(fd, pid.data(), pid.size(), 0);
    (void)w;
  }
}

std::string holder_of(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

InstallLock InstallLock::acquire(const std::filesystem::path& file, std::chrono::milliseconds timeout) {
  int fd = open_lock_file(file);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // flock has no timed wait; retry with a short, growing back-off (as SQLite's busy handler does).
  auto pause = std::chrono::milliseconds(2);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) {
      int err = errno;
      ::close(fd);
      fail(ErrorCode::kFailure, "cannot lock " + file.string() + ": " + std::strerror(err));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string holder = holder_of(fd);
      ::close(fd);
      fail(ErrorCode::kLockTimeout, "another upkeep process" + (holder.empty() ? "" : " (pid " + holder + ")") +
                                        " has held " + file.string() + " for more than " +
                                        std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  note_holder(fd);
  return InstallLock(fd);
}

std::optional<InstallLock> InstallLock::try_acquire(const std::filesystem::path& file) {
  int fd = open_lock_file(file);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  note_holder(fd);
  return InstallLock(fd);
}

InstallLock& InstallLock::operator=(InstallLock&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

InstallLock::~InstallLock() { release(); }

void InstallLock::release() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
  fd_ = -1;
}

}  // namespace upkeep

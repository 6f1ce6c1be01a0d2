// POSIX implementation of running_lock.h (flock: shared and exclusive).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/platform/running_lock.h"

namespace upkeep {

bool RunningLock::hold_shared_across_exec(const std::filesystem::path& file) {
  // No O_CLOEXEC: the app inherits the descriptor and with it the lock.
  int fd = ::open(file.c_str(), O_RDONLY | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    fail(ErrorCode::kFailure, "cannot open " + file.string() + ": " + std::strerror(errno));
  }
  while (::flock(fd, LOCK_SH) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    fail(ErrorCode::kFailure, "cannot lock " + file.string() + ": " + std::strerror(err));
  }
  return true;
}

std::optional<RunningLock> RunningLock::try_exclusive(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) fail(ErrorCode::kFailure, "cannot open " + file.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return RunningLock(fd);
}

RunningLock::~RunningLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace upkeep

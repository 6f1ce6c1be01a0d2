// InstallLock: the cross-process lock of one install root (flock on posix).
//
// Held around everything that changes what is installed: recovery, apply,
// rollback, cleanup, and the final step of staging. The kernel drops the
// lock when its holder dies, so a crashed process never blocks the next
// one. The descriptor is close-on-exec: a program started by the holder
// does not inherit it. Move-only; release on destruction.
// Implemented per platform (install_lock_posix.cpp).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>

namespace upkeep {

class InstallLock {
 public:
  // Waits up to `timeout`; throws Error(kLockTimeout) naming the lock file
  // and the holder's pid (when it recorded one).
  static InstallLock acquire(const std::filesystem::path& file, std::chrono::milliseconds timeout);
  // nullopt when another process holds it.
  static std::optional<InstallLock> try_acquire(const std::filesystem::path& file);

  InstallLock(InstallLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  InstallLock& operator=(InstallLock&& o) noexcept;
  ~InstallLock();
  void release();

 private:
  explicit InstallLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace upkeep

// RunningLock: how a per-machine install knows whether anyone runs the app.
//
// `upkeep install --system` creates <root>/.running (Layout::running_lock_file),
// readable by every user. Each launcher start takes a *shared* lock on it
// through a read-only descriptor that is deliberately inherited across the
// exec of the app, so the lock lives exactly as long as the app (and any
// child that keeps the descriptor). The privileged updater applies a staged
// version only when it can take the *exclusive* lock, i.e. when no user
// runs the app; while it holds it, new starts wait (an apply takes
// milliseconds: it switches a link). Users need no write access for any of it.
// Per-user installs have no .running file: hold_shared() is then a no-op.
// Implemented per platform (running_lock_posix.cpp). Any thread.
#pragma once

#include <filesystem>
#include <optional>

namespace upkeep {

class RunningLock {
 public:
  // Launcher side: false when `file` does not exist (nothing to hold);
  // true once a shared lock is held by a descriptor that survives exec (it
  // is never closed by this process). Waits while an exclusive holder
  // applies. Throws Error(kFailure) naming the file when it exists but
  // cannot be opened or locked.
  static bool hold_shared_across_exec(const std::filesystem::path& file);

  // Updater side: the exclusive lock when nobody holds a shared one, else
  // nullopt. Throws Error(kFailure) naming the file when it cannot be opened.
  static std::optional<RunningLock> try_exclusive(const std::filesystem::path& file);

  RunningLock(RunningLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunningLock& operator=(RunningLock&&) = delete;
  ~RunningLock();

 private:
  explicit RunningLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace upkeep

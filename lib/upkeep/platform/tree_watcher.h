// TreeWatcher: changes below a folder, recursively, as a stream of events
// for one consumer (`upkeep watch`, watch/build_watch.h).
//
// Folders created, moved in or renamed after the start are followed: each
// gets a watch of its own, then is scanned, and every file found is
// reported as created (a file written before its folder's watch existed is
// never missed). Folders removed or moved out lose their watches. When the
// OS drops events (a queue overflow), the whole tree is watched again and
// one kRescanned event says "anything may have changed".
//
// One thread calls wait(); wake() may be called from any other thread.
// After construction every folder of the tree is watched; construction and
// wait() throw Error naming the folder when a watch cannot be added, and
// Error(kFailure) naming the OS limit (on Linux /proc/sys/fs/inotify/
// max_user_watches and its value) when the limit is reached: never silently
// a half-watched tree. Implemented per platform (tree_watcher_posix.cpp: inotify).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace upkeep {

struct TreeEvent {
  enum class Kind : char {
    kCreated = 'c',    // created, or found by the scan of a folder that appeared
    kModified = 'm',   // content or attributes written
    kRemoved = 'r',    // deleted, or moved out of the tree (or away from this name)
    kRescanned = 'o',  // events were lost and the tree re-watched: anything may have changed (path empty)
  };
  std::string path;  // relative to the root, '/'-separated; empty: the root itself
  Kind kind = Kind::kModified;
  bool directory = false;
};

class TreeWatcher {
 public:
  explicit TreeWatcher(std::filesystem::path root);
  ~TreeWatcher();
  TreeWatcher(const TreeWatcher&) = delete;
  TreeWatcher& operator=(const TreeWatcher&) = delete;

  // Waits up to `timeout` for changes and returns them (empty on timeout or
  // after wake()). Events of one call are in the order the OS reported them.
  std::vector<TreeEvent> wait(std::chrono::milliseconds timeout);
  // Makes a wait() in progress (or the next one) return at once. Any thread.
  void wake();

  // Folders watched now (the root included).
  size_t watched_folders() const;
  // The watched folder, links resolved (canonical).
  const std::filesystem::path& root() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OS limit on watches, as the message of the Error a watcher throws when
// it is reached: "<limit file> is <value>" (tests and the docs). Empty where
// there is no such limit.
std::string tree_watch_limit_description();

}  // namespace upkeep

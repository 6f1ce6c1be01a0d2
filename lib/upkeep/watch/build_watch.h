// BuildWatch: `upkeep watch`'s loop. It watches a build folder
// (TreeWatcher), keeps the changes the PathFilter counts, waits for a quiet
// period (QuietPeriod) and then runs its handlers in order (release into
// the repository, publish, run a command), once per quiet period.
//
// A round that fails is reported and tried again after a backoff or a
// quiet period after the next change, whichever comes first; the handlers
// from the one that failed run again then even if nothing new was
// released. The watcher is set up by the constructor (every folder watched
// when it returns: a test or a script may start writing). run() belongs to
// one thread; stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/platform/clock.h"
#include "upkeep/platform/tree_watcher.h"
#include "upkeep/watch/path_filter.h"
#include "upkeep/watch/quiet_period.h"
#include "upkeep/watch/release_handler.h"

namespace upkeep::watch {

struct BuildWatchOptions {
  std::filesystem::path build_dir;
  PathFilter filter;
  std::chrono::milliseconds debounce{2000};
  bool once = false;  // run() returns after the first round that succeeds, throws the first that fails
};

// One round as the loop reports it.
struct RoundReport {
  WatchRound round;
  std::optional<Error> error;             // set when a handler failed
  std::string failed_handler;             // its name
  std::chrono::milliseconds retry_in{0};  // when the round is tried again without a change
};
using RoundReporter = std::function<void(const RoundReport&)>;

class BuildWatch {
 public:
  // `clock` outlives this object.
  BuildWatch(BuildWatchOptions options, std::vector<std::unique_ptr<ReleaseHandler>> handlers, RoundReporter reporter,
             const Clock& clock = *SystemClock::instance());

  size_t watched_folders() const { return watcher_.watched_folders(); }
  // Watches and acts until stop() (or, with `once`, one round).
  void run();
  // Makes run() return soon (after a round in progress). Any thread.
  void stop();

 private:
  bool counts(const TreeEvent& e) const;
  // Runs the handlers; returns the report (error set on failure).
  RoundReport run_round();

  BuildWatchOptions options_;
  std::vector<std::unique_ptr<ReleaseHandler>> handlers_;
  RoundReporter reporter_;
  TreeWatcher watcher_;
  QuietPeriod quiet_;
  size_t owed_ = SIZE_MAX;  // the first handler that failed in an earlier round: it and those after run again
  std::atomic<bool> stopping_{false};
};

}  // namespace upkeep::watch

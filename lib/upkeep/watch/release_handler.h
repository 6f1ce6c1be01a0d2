// ReleaseHandler: one step `upkeep watch` takes when the build folder has
// been quiet (release into the repository, copy it to a web server's
// folder, run a command), decoupled from where the changes come from
// (build_watch.h runs them in order, tests call them directly).
//
// A round passes one WatchRound through the handlers in order. A handler
// throws Error when it fails: the round stops there and is tried again
// later (QuietPeriod::failed). One thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/base/json.h"

namespace upkeep::watch {

// What one round did, filled in by the handlers in turn.
struct WatchRound {
  std::filesystem::path build_dir;
  std::filesystem::path repo_dir;  // the local repository the release went into
  // Set by RepositoryRelease.
  bool released = false;  // false: the build equals the newest release, nothing new
  std::string version;    // the new release, or the newest one when nothing was new
  size_t file_count = 0;
  size_t changed = 0;  // files added, changed or removed since the previous release
  int64_t timestamp_version = 0;
  // One line and one JSON object per step, for the log and `--json`.
  struct Step {
    std::string handler;
    std::string text;  // "released 1.0.3: 412 files, 3 changed"
    Json facts;        // an object
  };
  std::vector<Step> steps;
};

class ReleaseHandler {
 public:
  virtual ~ReleaseHandler() = default;
  virtual std::string name() const = 0;
  // Acts on the round. Returns false when nothing new came of it (the
  // handlers after it need not run, unless an earlier round failed in
  // them). Throws Error on failure.
  virtual bool run(WatchRound& round) = 0;
};

}  // namespace upkeep::watch

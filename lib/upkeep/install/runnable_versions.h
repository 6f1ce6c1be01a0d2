// RunnableVersions: which installed versions the launcher may switch to or
// start instead of `current` (a rollback by hand, the target of a failed
// trial, the repair of a missing `current`). A version is runnable when
// its folder holds exactly its signed files: FileManifest::verify_directory
// (kQuick: names, types, sizes and modes, no hashing) against
// manifests/<v>.json. A version that is not is skipped, and the caller
// says which and why; nothing here changes the root.
// Construct per use; reads the state store the caller holds. One thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

class RunnableVersions {
 public:
  RunnableVersions(const Layout& layout, const StateStore& store) : layout_(layout), store_(store) {}

  // "" when `version` can start, else why not ("its folder ... is missing",
  // "bin/app: size 3, expected 5 (in ...)", "its manifest ... cannot be read: ...").
  std::string why_not(const std::string& version) const;

  struct Pick {
    std::optional<std::string> version;  // the first runnable candidate
    std::vector<std::string> skipped;    // "1.0.0: why", one per candidate passed over
    // "1.0.0: why; 0.9.0: why" for a message, or "" when none was skipped.
    std::string skipped_text() const;
  };
  // The first runnable version of `candidates`, in their order.
  Pick first_of(const std::vector<std::string>& candidates) const;

  // Where to go back from `current`: `previous` (when not empty) first,
  // then the good versions older than `current` whose folders exist, newest first.
  std::vector<std::string> rollback_candidates(const std::string& current, const std::string& previous) const;
  // The good versions whose folders exist, newest first.
  std::vector<std::string> good_versions() const;

 private:
  const Layout& layout_;
  const StateStore& store_;
};

}  // namespace upkeep

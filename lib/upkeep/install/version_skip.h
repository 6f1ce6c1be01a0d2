// VersionSkip: the user's "Skip this version" (AppUpdater::skip_version).
//
// skip(v) records the staged version v as kSkipped in the state store, under
// the install lock, so the launcher no longer applies it and RefusedVersions
// refuses it from then on (never offered, staged or kept again). Then it
// removes staging/<v> and v's kept manifest, unless a stager holds the
// staging lock (the launcher's clean-up removes them later), and clears the
// `.pending` marker when nothing else waits. Throws Error(kNotFound) when v
// is not staged (nothing changes then), and what the lock and the state
// store throw. One thread at a time per object.
#pragma once

#include <chrono>
#include <string>

#include "upkeep/install/layout.h"

namespace upkeep {

class VersionSkip {
 public:
  static constexpr std::chrono::seconds kLockWait{10};

  explicit VersionSkip(const Layout& layout) : layout_(layout) {}
  void skip(const std::string& version) const;

 private:
  void remove_files(const std::string& version) const;
  const Layout& layout_;
};

}  // namespace upkeep

// RefusedVersions: the one answer to "is this version refused?", i.e.
// never offered, staged or applied again. A version is refused when it is
// kBad (failed its trial or was rolled back), kQuarantined (failed
// max_update_failures tries, quarantine.h), kSkipped (the user chose "Skip
// this version", version_skip.h), or being rolled back by a
// journal operation the next start finishes (it is on its way to kBad;
// found by bench/torture).
//
// A snapshot of the caller's StateStore taken by the constructor, on the
// caller's thread; it does not see later writes. Read-only: it never
// changes the store, and throws only what StateStore's reads throw.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "upkeep/install/state_store.h"

namespace upkeep {

class RefusedVersions {
 public:
  explicit RefusedVersions(const StateStore& store);

  // For messages: "being rolled back", "marked bad", "quarantined" or "skipped by the user"; nullopt when `version` is
  // not refused.
  std::optional<std::string> why(const std::string& version) const;
  bool contains(const std::string& version) const { return why_.count(version) > 0; }
  // Every refused version (SelectionCriteria::refused_versions).
  std::set<std::string> versions() const;

 private:
  std::map<std::string, std::string> why_;
};

}  // namespace upkeep

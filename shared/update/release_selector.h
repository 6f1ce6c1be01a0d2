// ReleaseSelector: picks the release to offer from verified TUF targets.
//
// A target is a release when its custom metadata names our app id and
// platform and it has a package and a manifest target. Offered: the newest
// release in our channel that is newer than the installed version,
// recorded neither bad nor quarantined and, when the criteria carry a
// rollout bucket (a background check), rolled out to that bucket or
// critical (update/rollout.h). A release held back by its rollout does not
// hide an older one that is rolled out to us. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tuf/metadata.h"

namespace upkeep {

struct ReleaseInfo {
  std::string version;
  std::string channel;
  std::string notes;
  bool critical = false;
  int64_t rollout = 100;  // percent of installations offered it (custom.rollout)
  tuf::TargetFile package;
  tuf::TargetFile manifest;
  std::optional<tuf::TargetFile> delta;  // delta.zst (delta/delta_bundle.h), when the release has one
};

struct SelectionCriteria {
  std::string app_id;
  std::string platform;
  std::string channel;
  std::string installed_version;             // "" when nothing is installed
  std::set<std::string> refused_versions;    // bad or quarantined (is_refused): never offered again
  std::optional<std::string> exact_version;  // install a given version (installer)
  // This installation's rollout bucket (Rollout::bucket_of) for a background
  // check; nullopt for a manual check or an install: the rollout is ignored.
  std::optional<uint32_t> rollout_bucket;
};

// nullopt when nothing newer is allowed. Targets with malformed release
// facts are skipped (and logged), never offered.
std::optional<ReleaseInfo> select_release(const std::vector<tuf::TargetFile>& targets, const SelectionCriteria& c);

}  // namespace upkeep

// select_release(): picks the release to offer from verified TUF targets.
//
// A target is a release when its custom metadata names our app id and
// platform and it has a package and a manifest target. Offered: the newest
// release in our channel (and, with a version prefix, matching it) that is
// newer than the installed version and not refused (refused_versions.h:
// bad, quarantined or being rolled back). An older one is offered only when
// managed policy allows a downgrade and the installed version is outside
// what is allowed:
// rollback_to_prefix when it does not match the prefix, allow_downgrade when
// it is not one of the allowed releases (e.g. after a channel change).
// When the criteria carry a rollout bucket (a background check), a release
// must also be rolled out to that bucket or be critical (update/rollout.h);
// a release held back by its rollout does not hide an older one that is
// rolled out to us. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "upkeep/tuf/metadata.h"

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
  bool downgrade = false;                // older than the installed version (allowed by policy)
};

struct SelectionCriteria {
  std::string app_id;
  std::string platform;
  std::string channel;
  std::string installed_version;             // "" when nothing is installed
  std::set<std::string> refused_versions;    // RefusedVersions::versions(): never offered again
  std::optional<std::string> exact_version;  // install a given version (installer)
  std::string version_prefix;                // "2.4.": releases not matching are not offered ("" = any)
  bool rollback_to_prefix = false;           // installed outside the prefix: newest matching, even if older
  bool allow_downgrade = false;              // installed not an allowed release: newest allowed, even if older
  // This installation's rollout bucket (Rollout::bucket_of) for a background
  // check; nullopt for a manual check or an install: the rollout is ignored.
  std::optional<uint32_t> rollout_bucket;
};

// nullopt when nothing newer is allowed. Targets with malformed release
// facts are skipped (and logged), never offered.
std::optional<ReleaseInfo> select_release(const std::vector<tuf::TargetFile>& targets, const SelectionCriteria& c);

// The newest release of every (app, platform, channel) some target's release
// facts name, rollout ignored, sorted by that triple: what `upkeep info`
// shows and `upkeep doctor` checks.
std::vector<ReleaseInfo> newest_releases(const std::vector<tuf::TargetFile>& targets);

// The one application the targets' release facts name. Error(kNotFound)
// when there are no releases, Error(kUsage) when there are several apps.
std::string sole_app_id(const std::vector<tuf::TargetFile>& targets);

}  // namespace upkeep

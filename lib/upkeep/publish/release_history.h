// The releases of an app and platform already in a repository, read back
// from its signed targets: what delta patches of a new release start from.
// Free function; reads only. Thread-safe for distinct calls.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/base/version.h"
#include "upkeep/publish/delta_builder.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::publish {

// The newest `limit` releases of `app_id` for `platform` older than
// `before` (any channel), newest first, each with its files.json read from
// REPO/targets and checked against the length and hash `targets` lists. A
// release whose files.json is no longer in the repository (pruned) is
// skipped; one whose files.json differs from its signed hash is
// Error(kVerification). package_file is empty when its package.zip is gone.
std::vector<PriorRelease> previous_releases(const std::filesystem::path& repo_dir, const tuf::TargetsMetadata& targets,
                                            const std::string& app_id, const std::string& platform,
                                            const Version& before, size_t limit);

}  // namespace upkeep::publish

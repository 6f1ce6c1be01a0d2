// RepositoryRelease: the handler that releases the build folder into the
// local repository, exactly as `upkeep release` does
// (publish::RepositoryPublisher::publish_release), when its files differ
// from the newest release of the app and platform.
//
// The version comes from a VersionSource when one is given (e.g. the
// version a program file states, `--version-from`), else it is the next
// patch after the repository's newest release (1.4.2 -> 1.4.3), or
// `first_version` when there is none. After success the release is
// committed (timestamp.json), and the round says what it is; after a
// failure the repository is as it was (publish_release's guarantee) and
// Error propagates. One thread at a time.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/base/version.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/clock.h"
#include "upkeep/publish/expiries.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/watch/release_handler.h"

namespace upkeep::watch {

// The version of the build in `build_dir`; throws Error when it cannot tell.
using VersionSource = std::function<std::string(const std::filesystem::path& build_dir)>;

// What each release declares beside its version (the `upkeep release` options a watch passes on).
struct ReleaseSettings {
  publish::ReleaseInfo info;  // app_id, channel, platform, delta_from...; version and launch set per release
  std::optional<std::string> program;
  std::vector<std::string> args;
  std::string health = "running:10";
  std::string first_version = "0.0.1";  // when the repository holds no release of the app and platform
};

// 1.4.2 -> 1.4.3, 10.0.19041.1 -> 10.0.19041.2, 2.0.0-rc.1 -> 2.0.1, 7 -> 7.0.1:
// the last number of at least three, plus one, with no pre-release part.
std::string next_patch_version(const Version& v);

// The version the file REL/PATH of the build folder states at each round
// (publish/build_version.h: a program file's, else a text file's first
// line). Error(kUsage) now for a path that is absolute or climbs out.
VersionSource version_from_file(std::string rel_path);

// How many files (or links) were added, changed or removed between two manifests.
size_t changed_files(const FileManifest& before, const FileManifest& after);

class RepositoryRelease : public ReleaseHandler {
 public:
  // `keys` and `clock` outlive the handler.
  RepositoryRelease(std::filesystem::path repo_dir, const publish::KeyStore& keys, publish::Expiries expiries,
                    ReleaseSettings settings, VersionSource version_from = {},
                    const Clock& clock = *SystemClock::instance());

  std::string name() const override { return "release"; }
  bool run(WatchRound& round) override;

 private:
  std::filesystem::path repo_dir_;
  const publish::KeyStore& keys_;
  publish::Expiries expiries_;
  ReleaseSettings settings_;
  VersionSource version_from_;
  const Clock& clock_;
};

}  // namespace upkeep::watch

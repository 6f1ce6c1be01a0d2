// ReleaseDraft: one release on its way into a repository, the steps of
// RepositoryPublisher::publish_release before it commits the targets:
// checks, files.json, package.zip, the delta store and delta.zst, and the
// targets that list them (layout: repository_publisher.h).
//
// The constructor checks the release and writes nothing. Each write step
// records what it creates; unless commit() is called, destruction removes
// it again (Undo), so a failure at any step, or of the commit after them,
// leaves the repository as it was. Called from one thread (the package is
// zipped on a second one the draft owns, see start_package); not copyable.
#pragma once

#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>

#include "upkeep/base/version.h"
#include "upkeep/install/manifest.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/publish/undo.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::publish {

class ReleaseDraft {
 public:
  // Error(kUsage) for a bad app id, channel, platform, version or rollout,
  // Error(kNotFound) when `build_dir` is not a folder.
  ReleaseDraft(const std::filesystem::path& repo_dir, const std::filesystem::path& build_dir, const ReleaseInfo& info);
  ReleaseDraft(const ReleaseDraft&) = delete;
  ReleaseDraft& operator=(const ReleaseDraft&) = delete;

  // Error(kExists) when the release's targets, or its version (by Version
  // precedence) for its app and platform, are already in `targets`.
  void refuse_released_again(const tuf::TargetsMetadata& targets) const;
  // files.json of the build under its consistent-snapshot name.
  // Error(kBadInput) for an empty build, a bad hook, launch program or
  // symlink (FileManifest::from_directory); nothing written then.
  void write_manifest();
  // package.zip of the manifest's entries, made on a thread of its own so
  // that it is deflated while the delta store's blobs are compressed:
  // start_package() starts zipping under a temporary name, finish_package()
  // waits for it (rethrowing its error), hashes it and renames it. After
  // write_manifest(). A draft destroyed in between waits for the thread.
  void start_package();
  void finish_package();
  // Unless info.delta_from < 0: the delta store's new blobs and patches
  // (from the newest delta_from earlier releases in `targets`) and the
  // delta.zst bundle; returns its target. After write_manifest().
  std::optional<tuf::TargetFile> write_delta_bundle(const tuf::TargetsMetadata& targets, const DeltaProgress& progress);
  // The version of each program file of the build that states one
  // (fileinfo::find_program_version), by path: ReleaseFacts::modules.
  // After write_manifest().
  std::map<std::string, std::string> module_versions() const;
  // Adds the package target, carrying `facts`, and the files.json target.
  void add_targets(tuf::TargetsMetadata& targets, const ReleaseFacts& facts) const;
  // Keeps everything written.
  void commit() { undo_.commit(); }

  const PublishedRelease& result() const { return out_; }

 private:
  const std::filesystem::path& repo_dir_;
  const std::filesystem::path& build_dir_;
  const ReleaseInfo& info_;
  Version version_;
  std::filesystem::path rel_;         // <app>/<version>/<platform>
  std::filesystem::path target_dir_;  // REPO/targets/<rel>
  std::string delta_target_;
  FileManifest manifest_;
  std::string manifest_text_;
  std::string manifest_sha_;
  PublishedRelease out_;
  Undo undo_;
  std::filesystem::path package_tmp_;
  // Declared after undo_: destroyed (waited for) before undo_ removes the files.
  std::future<void> package_;
};

}  // namespace upkeep::publish

// RepositoryPublisher: the vendor side of the TUF repository. It creates a
// new repository (initial root, empty targets, snapshot, timestamp),
// publishes releases into it and re-signs the metadata chain.
//
// Layout (consistent snapshots, see docs/architecture.md):
//   REPO/metadata/N.root.json (all kept) and root.json (copy of the newest),
//   REPO/metadata/N.targets.json, N.snapshot.json, timestamp.json,
//   REPO/targets/<app>/<version>/<platform>/<sha256>.package.zip,
//   <sha256>.files.json and (unless delta_from < 0) <sha256>.delta.zst (the
//   delta bundle: files.json and the delta index in one zstd frame,
//   delta/delta_bundle.h),
//   REPO/targets/<app>/blobs/<content sha256>.zst and
//   REPO/targets/<app>/patches/<from>-<to>.<algorithm>: the delta store,
//   content-addressed and shared by every release of the app
//   (publish/delta_builder.h, delta/delta_index.h). The package target's
//   custom "delta" names the release's delta.zst target.
// timestamp.json is written last, atomically: it is the commit point. Until
// it changes no client can reach anything new, and on failure every file
// written before it is removed again, so a failed publish leaves the
// repository as it was. Not safe for two publishers on one repository at
// the same time; one thread at a time.
#pragma once

#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "upkeep/install/hook_spec.h"
#include "upkeep/install/launch_spec.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/platform/clock.h"
#include "upkeep/publish/compression_preset.h"
#include "upkeep/publish/delta_builder.h"
#include "upkeep/publish/expiries.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::publish {

using upkeep::build_platform;

// What one release says about itself; becomes the package target's "custom".
struct ReleaseInfo {
  std::string app_id;
  std::string version;
  std::string channel = "stable";
  std::string platform = build_platform();
  std::string notes;
  bool critical = false;
  int rollout = 100;            // percent of installations offered the release
  std::vector<HookSpec> hooks;  // release hooks, signed in files.json (hook_spec.h)
  // The program, its arguments and health rule, signed in files.json
  // (format 3; launch_spec.h); nullopt: none declared (format 1 or 2).
  std::optional<LaunchSpec> launch;
  // Patches start from the newest `delta_from` older releases of the app and
  // platform (any channel); 0: blobs only; negative: no delta.zst at all.
  int delta_from = 3;
  // How hard package.zip and the blobs are compressed (compression_preset.h),
  // and by how many threads (0: one per core, at most 8).
  CompressionPreset compression = CompressionPreset::kDefault;
  unsigned threads = 0;
  Json desktop;  // the shortcut's metadata (DesktopEntry::to_metadata()); null: none
};

struct PublishedRelease {
  std::string package_target;   // "<app>/<version>/<platform>/package.zip"
  std::string manifest_target;  // "<app>/<version>/<platform>/files.json"
  std::filesystem::path package_file;
  std::filesystem::path manifest_file;
  uint64_t package_length = 0;
  std::string package_sha256;
  size_t file_count = 0;
  std::string delta_target;          // "<app>/<version>/<platform>/delta.zst"; empty without deltas
  std::filesystem::path delta_file;  // <sha256>.delta.zst
  DeltaStats delta;
};

// New versions after a commit of the metadata chain.
struct CommittedVersions {
  int64_t targets = 0;
  int64_t snapshot = 0;
  int64_t timestamp = 0;
};

class Undo;

// What RepositoryPublisher::refresh_timestamp() wrote: each role it signed,
// in signing order, the timestamp last.
struct RefreshedMetadata {
  struct Signed {
    std::string role;
    int64_t version = 0;
    std::time_t expires = 0;
  };
  std::vector<Signed> resigned;
  std::vector<std::string> roles() const {
    std::vector<std::string> out;
    for (const Signed& r : resigned) out.push_back(r.role);
    return out;
  }
};

// A new root version and whatever it forces to be re-signed, fully signed in
// memory by prepare_root_update() and written by write_root_update().
struct RootUpdate {
  int64_t root_version = 0;
  std::vector<std::string> resigned;  // roles re-signed because their keys or threshold changed
  // Metadata file name -> content, in write order; "timestamp.json" (when present) last.
  std::vector<std::pair<std::string, std::string>> files;
};

class RepositoryPublisher {
 public:
  // `clock` (which outlives the publisher) dates every expiry it signs and
  // each release's "released" fact.
  RepositoryPublisher(std::filesystem::path repo_dir, const KeyStore& keys, Expiries expiries = {},
                      const Clock& clock = *SystemClock::instance());

  // True when REPO/metadata already holds a root or a timestamp.
  static bool is_initialized(const std::filesystem::path& repo_dir);

  // Writes 1.root.json (+ root.json) listing every key of the store for each
  // role (threshold 1 each), signed by the root key(s), and version 1 of
  // targets (empty), snapshot and timestamp. Error(kExists) when the
  // repository is initialized.
  void initialize();

  // Publishes `build_dir` as a release: files.json, package.zip and
  // delta.zst (with the blobs and patches it lists, see info.delta_from)
  // under their consistent-snapshot names, all added as targets, then
  // commit_targets(). Error(kUsage) for a bad version/channel/platform,
  // Error(kExists) when the version (by Version precedence) is already
  // released for that app and platform, Error(kBadInput) for a hook or a
  // launch program that is not an executable file of `build_dir`, or a
  // symlink that is absolute or leaves it; nothing is written then. Any
  // later failure removes every file and folder the publish created.
  // `progress` follows the delta build (DeltaBuilder::set_progress).
  PublishedRelease publish_release(const std::filesystem::path& build_dir, const ReleaseInfo& info,
                                   const DeltaProgress& progress = {});

  // Staged rollout: sets custom.rollout of the published package target of
  // `version` (by Version precedence) of `app_id` for `platform` to
  // `percent` and commits the targets (commit_targets: new targets,
  // snapshot and timestamp versions). No file of the release changes.
  // Returns the percentage it had. Error(kUsage) for a percent outside
  // 0..100, Error(kNotFound) when no such release is published; nothing is
  // written then.
  int64_t set_rollout(const std::string& app_id, const std::string& version, const std::string& platform, int percent);

  // Signs `targets` as the next targets version (fresh expiry), then a new
  // snapshot listing it and a new timestamp listing that snapshot. The
  // reusable tail of every change to the targets (release, key rotation).
  CommittedVersions commit_targets(tuf::TargetsMetadata targets);

  // Re-signs the timestamp (next version, fresh expiry), and the other two
  // online roles when less than half their lifetime is left (a vendor who
  // releases less often than they expire): targets (then also snapshot),
  // else snapshot alone, each only when its key is in the key folder. So a
  // timer that runs it keeps every client updating with no release at all.
  // Returns each role re-signed (the timestamp always).
  RefreshedMetadata refresh_timestamp();

  // Root rotation (TUF 1.0.31 sections 5.3.4 and 6.1): signs `new_root` as
  // version N+1 (fresh expiry; keys no role uses are dropped) by a threshold
  // of the current root's root keys AND a threshold of its own, then
  // re-signs each role whose keys or threshold changed, and what lists it
  // (targets -> snapshot -> timestamp). Signing keys come from `new_keys`
  // and the key store. Nothing is written; Error(kNotFound) naming the key
  // folder when a threshold of keys is not at hand, Error(kUsage) for a
  // role without keys or a threshold above its key count.
  RootUpdate prepare_root_update(tuf::RootMetadata new_root,
                                 const std::vector<const tuf::PrivateKey*>& new_keys = {}) const;
  // Writes a prepared update: N+1.root.json, root.json, re-signed roles,
  // timestamp.json last. On failure the repository is restored as it was.
  void write_root_update(const RootUpdate& update);

  // The repository's current metadata, read from disk and checked (parse and
  // signature threshold). Error(kNotFound) for an uninitialized repository.
  tuf::RootMetadata current_root() const;
  tuf::TimestampMetadata current_timestamp() const;
  tuf::SnapshotMetadata current_snapshot() const;
  tuf::TargetsMetadata current_targets() const;

  std::filesystem::path metadata_dir() const { return RepositoryLayout::metadata_dir(repo_dir_); }

 private:
  struct State {
    tuf::RootMetadata root;
    tuf::TimestampMetadata timestamp;
    tuf::SnapshotMetadata snapshot;
    tuf::TargetsMetadata targets;
  };
  State load_state() const;
  // Signs s.snapshot and s.timestamp as their next versions (fresh expiries)
  // and writes them, timestamp.json last: the commit point.
  void commit_snapshot_and_timestamp(State& s, Undo& undo);
  // commit_targets() on a loaded state, which it leaves as written.
  void commit_targets(State& s, tuf::TargetsMetadata targets);
  // Signs s.timestamp as its next version (fresh expiry) and writes it.
  void commit_timestamp(State& s);
  tuf::Envelope load(const std::string& file_name, const tuf::RootMetadata& root, const char* role) const;
  // Signs with every available key of `role` listed in `root` (`extra` first,
  // then the key store); Error(kNotFound) below the role's threshold.
  void sign_role(tuf::Envelope& e, const tuf::RootMetadata& root, const char* role,
                 const std::vector<const tuf::PrivateKey*>& extra = {}) const;
  std::string sign_to_text(const Json& signed_json, const tuf::RootMetadata& root, const char* role,
                           const std::vector<const tuf::PrivateKey*>& extra = {}) const;
  std::time_t expiry(std::chrono::seconds valid_for) const;

  std::filesystem::path repo_dir_;
  const KeyStore& keys_;
  Expiries expiries_;
  const Clock& clock_;  // outlives the publisher
};

}  // namespace upkeep::publish

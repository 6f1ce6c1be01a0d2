// VersionRepair: `upkeep repair`, re-checks the current version of an
// install against its signed manifest and restores what is missing or
// changed.
//
// run() takes the install lock (so no apply or rollback runs meanwhile) and
// calls four idempotent steps:
//   1. trusted_manifest: manifests/<v>.json, used only when its SHA-256 is
//      the signed hash recorded in state.db when the version was staged;
//      otherwise (missing, changed, no record) it is fetched again through
//      the TUF client (trust/ and the effective repository: managed policy
//      over config.json) and checked against its signed length and hash.
//   2. inspect: every listed file's type, size, mode and SHA-256 (all bytes
//      are read), and every name the version folder holds that the manifest
//      does not list.
//   3. restore: a file with only a wrong mode is chmod'ed; a missing or
//      changed file is rebuilt from the same content held elsewhere in the
//      install (another kept version, checked against the signed hash while
//      copied), else extracted from the release's package, downloaded once
//      and verified against its signed hash; each goes in with a rename,
//      so a running program keeps the old inode; a missing or wrong symlink
//      is made again from its signed target. Unlisted names are removed.
//      The launch file (manifests/<v>.launch.json) is rewritten from the
//      manifest unless it already matches.
//   4. confirm: the folder is checked against the manifest (names, types,
//      sizes, modes: every byte was already hashed by inspect or while it
//      was put back), and a "repaired" event names what was done. A
//      per-machine root is opened to every user again (shared_root.h).
// Version folders are otherwise never modified after promotion; repair is
// the one exception, and writes only what the signed manifest says.
//
// After success the current version's folder holds exactly the manifest's
// files. After failure (Error: kNotFound for no install or no current
// version, kNeedsRoot for a per-machine install without administrator
// rights, kNetwork, kVerification, kNoSpace, kLockTimeout) files already
// restored stay restored (each is complete and verified), nothing else has
// changed, and a second run continues. One thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/net/fetcher.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/release_selector.h"
#include "upkeep/update/update_observer.h"

namespace upkeep::admin {

struct RepairResult {
  std::string version;
  size_t checked = 0;                 // files of the manifest
  std::vector<std::string> restored;  // missing or changed content put back
  std::vector<std::string> modes;     // only the mode was wrong
  std::vector<std::string> removed;   // not in the manifest
  bool manifest_refetched = false;    // manifests/<v>.json did not match its signed hash
  bool launch_restored = false;       // manifests/<v>.launch.json was not the manifest's launch spec
  uint64_t bytes_downloaded = 0;      // the package, when no local copy served
  bool intact() const {
    return restored.empty() && modes.empty() && removed.empty() && !manifest_refetched && !launch_restored;
  }
};

class VersionRepair {
 public:
  VersionRepair(Layout layout, net::Fetcher& fetcher, UpdateObserver& observer);
  RepairResult run();

 private:
  struct Damage {
    std::vector<const FileEntry*> content;  // missing, not a regular file, or other bytes
    std::vector<const FileEntry*> mode;     // right bytes, wrong mode
    std::vector<std::string> extra;         // names the manifest does not list
  };
  FileManifest trusted_manifest(const std::string& version, RepairResult& result);
  Damage inspect(const FileManifest& manifest, const std::filesystem::path& dir) const;
  void restore(const FileManifest& manifest, const Damage& damage, RepairResult& result);
  void fetch_package(const std::string& version, const std::filesystem::path& dest, RepairResult& result);
  // The release's signed facts, from one TUF refresh (made on first use).
  const ReleaseInfo& signed_release(const std::string& version);

  Layout layout_;
  std::unique_ptr<tuf::Client> client_;
  std::optional<ReleaseInfo> release_;
  net::Fetcher& fetcher_;
  UpdateObserver& observer_;
};

}  // namespace upkeep::admin

// DeltaStager: builds the folder of a new version from the files this
// installation already has plus the blobs and patches it lacks.
//
// Steps (each resumable; see docs/architecture.md, "Delta updates"):
//   1. plan: per distinct content, have / patch / blob (delta_plan.h); when
//      that costs at least the package, stop and let the caller fetch it;
//   2. fetch and rebuild: each missing content is downloaded into the work
//      folder staging/<v>.delta/ (resumable .part, length and hash of the
//      served bytes checked) and rebuilt into <work>/objects/<content sha>,
//      whose bytes are hashed while written and must equal the signed
//      content hash. A patch that fails or rebuilds the wrong bytes is
//      retried once as the full blob; a wrong blob is Error(kVerification);
//   3. assemble: every file of the manifest is placed in `dest` from a
//      rebuilt object or a local file (hard link when the file system allows
//      and the mode agrees, else a copy), each local file hashed on the way;
//      every symlink is made from the manifest's target, after the files;
//      then the folder is checked against the manifest (names, sizes,
//      modes, link targets).
// After success `dest` holds exactly the manifest's files and the work
// folder is gone. After failure `dest` does not exist; on a network error
// or a full disk the work folder stays so the next run resumes (rebuilt
// files are not fetched again); on any other error it is removed too.
// Called by the Stager under the staging lock; one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "upkeep/delta/delta_index.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/net/fetcher.h"

namespace upkeep {

struct DeltaSource {
  std::string app_id;
  std::string targets_url;  // the repository's targets/ URL; blobs and patches lie below it
};

class DeltaStager {
 public:
  DeltaStager(const Layout& layout, net::Fetcher& fetcher) : layout_(layout), fetcher_(fetcher) {}

  struct Result {
    bool staged = false;         // false: the deltas cost at least the package; nothing was fetched
    uint64_t planned_bytes = 0;  // what the plan expected to download
    uint64_t bytes_transferred = 0;
    size_t have = 0, patched = 0, blobs = 0, patch_fallbacks = 0;
  };

  // `index` must have passed check_matches(manifest).
  Result stage(const FileManifest& manifest, const delta::DeltaIndex& index, const DeltaSource& source,
               uint64_t package_length, const std::filesystem::path& dest, net::DownloadProgress* progress);

 private:
  const Layout& layout_;
  net::Fetcher& fetcher_;
};

}  // namespace upkeep

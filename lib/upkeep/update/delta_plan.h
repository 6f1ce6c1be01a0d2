// DeltaPlan: how each distinct file content of a release will be obtained
// in a delta update, and what that costs in bytes to download.
//
// Per content, cheapest first: already held locally (no bytes); a patch
// from a content held locally, whose algorithm this build knows; the
// compressed blob. A tie goes to the blob (nothing can go wrong with a
// source file). plan_delta() is a pure function; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "upkeep/delta/delta_index.h"
#include "upkeep/install/manifest.h"
#include "upkeep/update/local_content.h"

namespace upkeep {

struct ContentRoute {
  enum class Kind { kHave, kPatch, kBlob };
  const delta::ContentEntry* entry = nullptr;
  Kind kind = Kind::kBlob;
  const delta::PatchRoute* patch = nullptr;  // kPatch
  const LocalFile* local = nullptr;          // kHave: the file; kPatch: the patch's source
  uint64_t download_bytes = 0;
};

struct DeltaPlan {
  std::vector<ContentRoute> routes;  // one per distinct content, in the index's order
  uint64_t download_bytes = 0;
  size_t have = 0, patches = 0, blobs = 0;
};

// `index` must have passed check_matches(manifest). The plan points into
// `index` and `local`, which must outlive it.
DeltaPlan plan_delta(const delta::DeltaIndex& index, const LocalContent& local);

}  // namespace upkeep

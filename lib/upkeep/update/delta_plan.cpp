#include "upkeep/update/delta_plan.h"

#include "upkeep/delta/codec.h"

namespace upkeep {

DeltaPlan plan_delta(const delta::DeltaIndex& index, const LocalContent& local) {
  DeltaPlan plan;
  plan.routes.reserve(index.entries().size());
  for (const auto& e : index.entries()) {
    ContentRoute r;
    r.entry = &e;
    if (const LocalFile* have = local.find(e.sha256); have && have->size == e.size) {
      r.kind = ContentRoute::Kind::kHave;
      r.local = have;
      ++plan.have;
    } else {
      r.download_bytes = e.blob.length;
      for (const auto& p : e.patches) {
        const LocalFile* source = local.find(p.from);
        if (!source || !delta::parse_algorithm(p.algorithm) || p.stored.length >= r.download_bytes) continue;
        r.kind = ContentRoute::Kind::kPatch;
        r.patch = &p;
        r.local = source;
        r.download_bytes = p.stored.length;
      }
      ++(r.kind == ContentRoute::Kind::kPatch ? plan.patches : plan.blobs);
    }
    plan.download_bytes += r.download_bytes;
    plan.routes.push_back(r);
  }
  return plan;
}

}  // namespace upkeep

// The delta index (inside delta.zst): content entries, blobs and patch
// routes; its canonical form must parse back to the same text.
#include "fuzz_support.h"
#include "upkeep/delta/delta_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using upkeep::delta::DeltaIndex;
  upkeep::fuzz::quiet();
  upkeep::fuzz::accepts([&] {
    const DeltaIndex index = DeltaIndex::parse(upkeep::fuzz::as_text(data, size));
    const std::string canonical = index.to_json();
    upkeep::fuzz::must_accept([&] {
      if (DeltaIndex::parse(canonical).to_json() != canonical) std::abort();
    });
    for (const auto& e : index.entries())
      if (index.find(e.sha256) != &e) std::abort();
  });
  return 0;
}

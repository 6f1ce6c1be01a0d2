// The gzip-aware patch (the .gz source inflated, an inner patch, the target deflated again),
// applied to a fuzzed source (tests/fuzz/patch_fuzzing.h).
#include "patch_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return upkeep::fuzz::apply_fuzzed_patch(upkeep::delta::PatchAlgorithm::kGzip, data, size);
}

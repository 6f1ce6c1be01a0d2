// The zstd patch (patch-from: a zstd frame whose dictionary is the source),
// applied to a fuzzed source (tests/fuzz/patch_fuzzing.h).
#include "patch_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return upkeep::fuzz::apply_fuzzed_patch(upkeep::delta::PatchAlgorithm::kZstd, data, size);
}

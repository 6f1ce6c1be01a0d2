// The bit-shifted patch of a bitstream (the source shifted, an inner patch),
// applied to a fuzzed source (tests/fuzz/patch_fuzzing.h).
#include "patch_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return upkeep::fuzz::apply_fuzzed_patch(upkeep::delta::PatchAlgorithm::kBits, data, size);
}

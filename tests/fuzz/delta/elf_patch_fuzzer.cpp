// The elf patch (an address map and a zstd patch-from frame of the
// normalised file, whose references are then put back), applied to a fuzzed
// source, an ELF file or not (tests/fuzz/patch_fuzzing.h).
#include "patch_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return upkeep::fuzz::apply_fuzzed_patch(upkeep::delta::PatchAlgorithm::kElf, data, size);
}

#include "upkeep/delta/bitcode_patch.h"

#include "upkeep/delta/bitcode.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/transform_patch.h"

namespace upkeep::delta {

namespace {

const Transform& bitcode_transform() {
  static const Transform t{"UPKLBC01",       "bitcode",      kMaxBitcodePatchFile,
                           kMaxDecodedRatio, decode_bitcode, encode_bitcode};
  return t;
}

}  // namespace

bool make_bitcode_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                        const std::filesystem::path& dest) {
  return make_transform_patch(bitcode_transform(), source, target, dest);
}

std::string apply_bitcode_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                                const std::filesystem::path& dest, uint64_t expected_size) {
  return apply_transform_patch(bitcode_transform(), source, patch, dest, expected_size);
}

}  // namespace upkeep::delta

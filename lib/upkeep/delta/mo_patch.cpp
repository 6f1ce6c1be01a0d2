#include "upkeep/delta/mo_patch.h"

#include "upkeep/delta/codec.h"
#include "upkeep/delta/mo_catalog.h"
#include "upkeep/delta/transform_patch.h"

namespace upkeep::delta {

namespace {

const Transform& mo_transform() {
  static const Transform t{"UPKMOC01", "message catalog", kMaxMoPatchFile, 1, decode_mo, encode_mo};
  return t;
}

}  // namespace

bool make_mo_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                   const std::filesystem::path& dest) {
  return make_transform_patch(mo_transform(), source, target, dest);
}

std::string apply_mo_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                           const std::filesystem::path& dest, uint64_t expected_size) {
  return apply_transform_patch(mo_transform(), source, patch, dest, expected_size);
}

}  // namespace upkeep::delta

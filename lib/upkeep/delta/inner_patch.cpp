#include "upkeep/delta/inner_patch.h"

#include "upkeep/base/error.h"
#include "upkeep/delta/suffix_patch.h"
#include "upkeep/delta/zstd_patch.h"

namespace upkeep::delta {

InnerPatch make_inner_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                            ScratchFiles& scratch) {
  const bool zstd_fits = std::filesystem::file_size(source) <= kMaxZstdPatchSource &&
                         std::filesystem::file_size(target) <= kMaxZstdPatchSource;
  const std::filesystem::path bsdiff = scratch.make(".inner-bsdiff");
  make_suffix_patch(source, target, bsdiff, Durability::kScratch);
  if (!zstd_fits) return {PatchAlgorithm::kBsdiff, bsdiff};
  const std::filesystem::path zstd = scratch.make(".inner-zstd");
  make_zstd_patch(source, target, zstd, Durability::kScratch);
  if (std::filesystem::file_size(zstd) <= std::filesystem::file_size(bsdiff)) return {PatchAlgorithm::kZstd, zstd};
  return {PatchAlgorithm::kBsdiff, bsdiff};
}

std::filesystem::path copy_inner_patch(const InputFile& container, uint64_t offset, ScratchFiles& scratch) {
  const std::filesystem::path inner = scratch.make(".inner");
  OutputFile out(inner, Durability::kScratch);
  append_file(out, container, offset);
  out.commit();
  return inner;
}

PatchAlgorithm inner_algorithm(int code, const std::string& container) {
  if (code == static_cast<int>(PatchAlgorithm::kZstd)) return PatchAlgorithm::kZstd;
  if (code == static_cast<int>(PatchAlgorithm::kBsdiff)) return PatchAlgorithm::kBsdiff;
  fail(ErrorCode::kVerification,
       container + ": inner algorithm " + std::to_string(code) + ", expected 1 (zstd) or 2 (bsdiff)");
}

std::string apply_inner_patch(PatchAlgorithm a, const std::filesystem::path& source, const std::filesystem::path& inner,
                              const std::filesystem::path& dest, uint64_t expected_size, Durability d,
                              const std::string& container) {
  try {
    if (a == PatchAlgorithm::kZstd) return apply_zstd_patch(source, inner, dest, expected_size, d);
    return apply_suffix_patch(source, inner, dest, expected_size, d);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kVerification) throw;
    fail(ErrorCode::kVerification, container + ": its inner patch: " + e.what());
  }
}

}  // namespace upkeep::delta

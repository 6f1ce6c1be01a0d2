// codec.h: algorithm names, and dispatch of patches to their implementation
// (zstd_patch.cpp, suffix_patch.cpp). Blobs are in zstd_blob.cpp.
#include "upkeep/delta/codec.h"

#include "upkeep/base/error.h"
#include "upkeep/delta/bitcode_patch.h"
#include "upkeep/delta/bits_patch.h"
#include "upkeep/delta/elf_layout.h"
#include "upkeep/delta/elf_patch.h"
#include "upkeep/delta/gzip_patch.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/mo_catalog.h"
#include "upkeep/delta/mo_patch.h"
#include "upkeep/delta/suffix_patch.h"
#include "upkeep/delta/zstd_patch.h"

namespace upkeep::delta {

const char* algorithm_name(PatchAlgorithm a) {
  switch (a) {
    case PatchAlgorithm::kZstd:
      return "zstd";
    case PatchAlgorithm::kBsdiff:
      return "bsdiff";
    case PatchAlgorithm::kGzip:
      return "gzip";
    case PatchAlgorithm::kBits:
      return "bits";
    case PatchAlgorithm::kBitcode:
      return "bitcode";
    case PatchAlgorithm::kMo:
      return "mo";
    case PatchAlgorithm::kZstdLong:
      return "zstd-long";
    case PatchAlgorithm::kElf:
      return "elf";
  }
  return "unknown";
}

std::optional<PatchAlgorithm> parse_algorithm(std::string_view name) {
  for (PatchAlgorithm a :
       {PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff, PatchAlgorithm::kGzip, PatchAlgorithm::kBits,
        PatchAlgorithm::kBitcode, PatchAlgorithm::kMo, PatchAlgorithm::kZstdLong, PatchAlgorithm::kElf})
    if (name == algorithm_name(a)) return a;
  return std::nullopt;
}

bool is_mo_file(const std::filesystem::path& file) {
  InputFile in(file);
  char m[4] = {};
  return in.read_at(0, m, 4) == 4 && is_mo_catalog(std::string_view(m, 4));
}

bool is_x86_64_elf(const std::filesystem::path& file) {
  InputFile in(file);
  unsigned char h[20] = {};
  return is_x86_64_elf_header(h, in.read_at(0, h, sizeof h));
}

namespace {
[[noreturn]] void unknown(PatchAlgorithm a) {
  fail(ErrorCode::kUsage, "unknown patch algorithm " + std::to_string(static_cast<int>(a)));
}
}  // namespace

bool make_patch(PatchAlgorithm a, const std::filesystem::path& source, const std::filesystem::path& target,
                const std::filesystem::path& dest) {
  switch (a) {
    case PatchAlgorithm::kZstd:
      make_zstd_patch(source, target, dest);
      return true;
    case PatchAlgorithm::kZstdLong:
      make_zstd_patch(source, target, dest, Durability::kDurable, ZstdPatchReach::kAnySize);
      return true;
    case PatchAlgorithm::kBsdiff:
      make_suffix_patch(source, target, dest);
      return true;
    case PatchAlgorithm::kGzip:
      return make_gzip_patch(source, target, dest);
    case PatchAlgorithm::kBits:
      return make_bits_patch(source, target, dest);
    case PatchAlgorithm::kBitcode:
      return make_bitcode_patch(source, target, dest);
    case PatchAlgorithm::kMo:
      return make_mo_patch(source, target, dest);
    case PatchAlgorithm::kElf:
      return make_elf_patch(source, target, dest);
  }
  unknown(a);
}

std::string apply_patch(PatchAlgorithm a, const std::filesystem::path& source, const std::filesystem::path& patch,
                        const std::filesystem::path& dest, uint64_t expected_size) {
  switch (a) {
    case PatchAlgorithm::kZstd:
      return apply_zstd_patch(source, patch, dest, expected_size);
    case PatchAlgorithm::kZstdLong:
      return apply_zstd_patch(source, patch, dest, expected_size, Durability::kDurable, ZstdPatchReach::kAnySize);
    case PatchAlgorithm::kBsdiff:
      return apply_suffix_patch(source, patch, dest, expected_size);
    case PatchAlgorithm::kGzip:
      return apply_gzip_patch(source, patch, dest, expected_size);
    case PatchAlgorithm::kBits:
      return apply_bits_patch(source, patch, dest, expected_size);
    case PatchAlgorithm::kBitcode:
      return apply_bitcode_patch(source, patch, dest, expected_size);
    case PatchAlgorithm::kMo:
      return apply_mo_patch(source, patch, dest, expected_size);
    case PatchAlgorithm::kElf:
      return apply_elf_patch(source, patch, dest, expected_size);
  }
  unknown(a);
}

}  // namespace upkeep::delta

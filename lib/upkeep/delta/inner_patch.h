// Inner patches (internal to delta/): the zstd or bsdiff patch that a
// container patch carries between two transformed files (gzip_patch.h: the
// inflated contents; bits_patch.h: a bit-shifted source). The container
// stores the algorithm as one byte, 1 zstd or 2 bsdiff (PatchAlgorithm's
// numbers, which never change).
// Free functions; thread-safe for distinct paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "upkeep/delta/codec.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

struct InnerPatch {
  PatchAlgorithm algorithm;
  std::filesystem::path file;  // one of `scratch`'s files
};

// The smaller of a zstd patch (when both sizes allow one) and a bsdiff patch
// from `source` to `target`, written as scratch files.
InnerPatch make_inner_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                            ScratchFiles& scratch);

// Copies the inner patch, `container` from `offset` to its end, into a
// scratch file (the inner decoders read a file of their own).
std::filesystem::path copy_inner_patch(const InputFile& container, uint64_t offset, ScratchFiles& scratch);

// Error(kVerification) naming `container` unless `code` is 1 or 2.
PatchAlgorithm inner_algorithm(int code, const std::string& container);

// Applies an inner patch; its kVerification errors are reported as the
// container's (`container`: ...). Returns the SHA-256 (hex) of `dest`.
std::string apply_inner_patch(PatchAlgorithm a, const std::filesystem::path& source, const std::filesystem::path& inner,
                              const std::filesystem::path& dest, uint64_t expected_size, Durability d,
                              const std::string& container);

}  // namespace upkeep::delta

// zstd patch-from (internal to delta/; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kZstd).
//
// A patch is one zstd frame compressed with the source as its prefix
// (dictionary) and long-distance matching, as `zstd --patch-from` makes it.
// Both sides are limited to kMaxZstdPatchSource: the decoder maps the source
// and writes the target straight into a mapping of the output file, so it
// needs no window buffer but holds both in address space (page cache).
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

// Error(kUsage) when source or target is larger than kMaxZstdPatchSource.
void make_zstd_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest, Durability d = Durability::kDurable);
std::string apply_zstd_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size,
                             Durability d = Durability::kDurable);

}  // namespace upkeep::delta

// Catalog patches (internal to delta/; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kMo).
//
// A transform patch (transform_patch.h, magic "UPKMOC01") between the
// decoded forms (mo_catalog.h) of two gettext message catalogs, whose
// offsets are distances and whose hash table is left to the client to
// recompute, so one added message no longer changes both tables
// throughout. Files above kMaxMoPatchFile (codec.h) get none.
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep::delta {

// False (and no `dest`) when either file is not a catalog that decodes and
// encodes back exactly, or is larger than kMaxMoPatchFile.
bool make_mo_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                   const std::filesystem::path& dest);
std::string apply_mo_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                           const std::filesystem::path& dest, uint64_t expected_size);

}  // namespace upkeep::delta

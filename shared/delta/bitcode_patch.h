// Bitcode patches (internal to shared/delta; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kBitcode).
//
// A zstd or bsdiff patch between the *decoded* forms (bitcode.h) of two LLVM
// bitcode files, where every field is byte-aligned, so a changed field no
// longer moves the rest. The client decodes its held source, applies the
// inner patch and encodes the result back to bitcode; the vendor makes one
// only when both files decode and encode back exactly, and the client checks
// the SHA-256 of what it rebuilt as for every patch. Container:
//   "UPKLBC01" | inner algorithm (u8, 1 zstd, 2 bsdiff) |
//   source decoded size (u64) | target decoded size (u64) | inner patch
// (integers little-endian). Files are held in memory, so both sides are
// limited to kMaxBitcodePatchFile (codec.h); the decoded forms and the
// inner patch are scratch files next to `dest`, removed whatever happens.
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep::delta {

// False (and no `dest`) when either file is not bitcode that decodes and
// encodes back exactly, or is larger than kMaxBitcodePatchFile.
bool make_bitcode_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                        const std::filesystem::path& dest);
std::string apply_bitcode_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                                const std::filesystem::path& dest, uint64_t expected_size);

}  // namespace upkeep::delta

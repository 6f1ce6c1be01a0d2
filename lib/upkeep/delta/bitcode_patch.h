// Bitcode patches (internal to delta/; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kBitcode).
//
// A transform patch (transform_patch.h, magic "UPKLBC01") between the
// *decoded* forms (bitcode.h) of two LLVM bitcode files, where every field is
// byte-aligned, so a changed field no longer moves the rest. Files above
// kMaxBitcodePatchFile (codec.h) get none.
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

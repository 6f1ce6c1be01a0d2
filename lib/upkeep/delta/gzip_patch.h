// gzip-aware patches (internal to delta/; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kGzip).
//
// A .gz file changes almost everywhere after a small edit of its content
// (deflate's output shifts), so a byte-level patch of it is nearly as large
// as the file. A gzip patch instead carries a zstd or bsdiff patch between
// the *contents* of the two .gz files, plus what it takes to compress the
// new content back into the very same bytes: the target's header and the
// gzip level that GNU gzip's deflate (gnu_deflate.h) reproduces it with.
// The vendor makes one only when that recompression is byte-exact, checked
// on the real file; the client checks the SHA-256 of what it rebuilds as for
// every patch. Container:
//   "UPKGZP01" | level (u8, 4-9) | inner algorithm (u8, 1 zstd, 2 bsdiff) |
//   header length (u32) | header | source content size (u64) |
//   target content size (u64) | the inner patch, to the end
// (integers little-endian).
//
// Both sides work through temporary files next to `dest` (the contents and
// the inner patch; not fsynced: they are removed again whatever happens). Free functions;
// thread-safe for distinct paths. Failure and output semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep::delta {

// False (and no `dest`) when the pair is not for a gzip patch: either file
// is not one whole gzip member, or no level of GNU gzip's deflate rebuilds
// the target exactly.
bool make_gzip_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest);
std::string apply_gzip_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size);

}  // namespace upkeep::delta

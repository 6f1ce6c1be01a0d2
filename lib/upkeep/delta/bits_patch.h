// Bit-shift patches (internal to delta/; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kBits).
//
// Bit-stream formats (LLVM bitcode, which PostgreSQL ships for its JIT, is
// the common one in application folders) pack fields without byte
// alignment, so one changed field shifts every later field by a few bits and
// a byte-level diff finds almost nothing after it. A bit-shift patch diffs
// the target against the source *and its seven bit-shifted copies*
// (source >> 1 bit ... >> 7 bits, the stream read least significant bit
// first as LLVM does), so a run of fields that moved by any number of bits
// is found as a byte-aligned match in one of the copies. On postgresql-15's
// bitcode (15.18 -> 15.20) that takes zstd's patches from 3.41 MB to
// 2.48 MB (docs/benchmarks.md). Container:
//   "UPKBIT01" | inner algorithm (u8, 1 zstd, 2 bsdiff) |
//   source size (u64, little-endian) | the inner patch, to the end
//
// The source may be at most kMaxBitsPatchSource (codec.h) bytes: its copies (8 times
// its size) are a scratch file next to `dest`, removed again whatever
// happens. Free functions; thread-safe for distinct paths. Failure and
// output semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "upkeep/delta/codec.h"

namespace upkeep::delta {

// False (and no `dest`) when the source is empty or larger than
// kMaxBitsPatchSource.
bool make_bits_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest);
std::string apply_bits_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size);

// Writes `source` followed by its seven bit-shifted copies to `dest`
// (scratch, not fsynced). Exposed for tests.
void write_bit_shifted(const std::filesystem::path& source, const std::filesystem::path& dest);

}  // namespace upkeep::delta

// Suffix-array patches in bsdiff's form (internal to delta/; reached
// through codec.h's make_patch / apply_patch with PatchAlgorithm::kBsdiff).
//
// The maker sorts the source's suffixes (libdivsufsort), then walks the
// target finding approximate matches as Colin Percival's bsdiff does. The
// patch is a list of control triples (add_len, copy_len, seek): add add_len
// diff bytes to as many source bytes, copy copy_len extra bytes, move in the
// source by seek. Our own container (not bsdiff's BSDIFF40):
//   "UPKBSD02" | target size (u64)
//   | for the control, diff and extra streams in turn: codec (u8: 1 zstd,
//     2 bzip2) | stored length (u64) | decoded length (u64)
//   | the three streams, each one zstd frame or one bzip2 stream.
// Integers in the header are little-endian. A control triple is three LEB128
// varints: add_len, copy_len, and seek zigzag-mapped (0, -1, 1, -2, ...).
// The maker compresses each stream with zstd (level 19, window 4 MiB) and
// with bzip2 (every block size that changes the result) and keeps the
// smallest: bzip2 wins on the diff stream of large executables, zstd on
// most others. UPKBSD01 (all zstd, fixed 8-byte triples) is no longer read.
//
// The applier streams: memory is a few buffers plus three decoders (a zstd
// window of at most 4 MiB, a bzip2 block of at most 900 kB, about 3.7 MB of
// decoder state), whatever the file sizes; the source is read with
// positioned reads. Every stream must decode to exactly its declared length,
// the diff and extra lengths must add up to the target size, and there may
// be at most one triple per target byte (plus one), so a hostile patch costs
// work in proportion to the target, not to what it claims.
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

// Error(kUsage) when the source is too large for a 32-bit suffix array (2 GiB).
void make_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                       const std::filesystem::path& dest, Durability d = Durability::kDurable);
std::string apply_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                               const std::filesystem::path& dest, uint64_t expected_size,
                               Durability d = Durability::kDurable);

}  // namespace upkeep::delta

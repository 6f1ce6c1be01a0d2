// Suffix-array patches in bsdiff's form (internal to shared/delta; reached
// through codec.h's make_patch / apply_patch with PatchAlgorithm::kBsdiff).
//
// The maker sorts the source's suffixes (libdivsufsort), then walks the
// target finding approximate matches as Colin Percival's bsdiff does. The
// patch is a list of control triples (add_len, copy_len, seek): add add_len
// diff bytes to as many source bytes, copy copy_len extra bytes, move in the
// source by seek. Our own container (not bsdiff's BSDIFF40):
//   "UPKBSD01" | target size | control length | diff length | extra length
//   (u64 little-endian each) | the three streams, each one zstd frame.
// A control triple is three i64 little-endian.
//
// The applier streams: memory is a few buffers plus three zstd decoders,
// whatever the file sizes; the source is read with positioned reads.
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "delta/io.h"

namespace upkeep::delta {

// Error(kUsage) when the source is too large for a 32-bit suffix array (2 GiB).
void make_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                       const std::filesystem::path& dest, Durability d = Durability::kDurable);
std::string apply_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                               const std::filesystem::path& dest, uint64_t expected_size,
                               Durability d = Durability::kDurable);

}  // namespace upkeep::delta

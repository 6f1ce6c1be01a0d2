// zstd patch-from (internal to delta/; reached through codec.h's
// make_patch / apply_patch with PatchAlgorithm::kZstd).
//
// A patch is one zstd frame compressed with the source as its prefix
// (dictionary) and long-distance matching, as `zstd --patch-from` makes it.
// The decoder maps the source and writes the target straight into a mapping
// of the output file, so it needs no window buffer: both are file-backed
// page cache, whatever their size. kZstd patches keep both sides within
// kMaxZstdPatchSource (older clients refuse more); kZstdLong ones have no
// limit (the window covers both files up to 1 GiB each, zstd's largest).
// The maker maps both files too; it holds zstd's level-19 and long-distance
// tables and an output buffer of which only the patch's length is touched.
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

// kBounded: kZstd's limit on both sides; kAnySize: kZstdLong's none.
enum class ZstdPatchReach { kBounded, kAnySize };

// Error(kUsage) when, kBounded, source or target is larger than kMaxZstdPatchSource.
void make_zstd_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest, Durability d = Durability::kDurable,
                     ZstdPatchReach reach = ZstdPatchReach::kBounded);
std::string apply_zstd_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size,
                             Durability d = Durability::kDurable, ZstdPatchReach reach = ZstdPatchReach::kBounded);

// The same on bytes in memory, for patches that hold such a frame (the elf
// patch, elf_patch.h). write_zstd_patch_frame appends the frame of a
// kAnySize patch from `source` to `target` to `out`.
void write_zstd_patch_frame(const unsigned char* source, uint64_t source_size, const unsigned char* target,
                            uint64_t target_size, OutputFile& out, const std::string& what);
// decode_zstd_patch_frame checks that `frame` is one frame of exactly
// `expected_size` bytes, decodes it into the new file `dest` (mapped), runs
// `finish` on those bytes (the elf patch restores its references there),
// then hashes them, syncs them (kDurable) and returns the SHA-256 (hex).
// Error(kVerification) naming `what` for a frame that is malformed or makes
// another size; `dest` is removed on any failure, `finish`'s included.
std::string decode_zstd_patch_frame(const unsigned char* source, uint64_t source_size, const unsigned char* frame,
                                    uint64_t frame_size, const std::filesystem::path& dest, uint64_t expected_size,
                                    const std::string& what, Durability d = Durability::kDurable,
                                    const std::function<void(unsigned char* data, uint64_t size)>& finish = {});

}  // namespace upkeep::delta

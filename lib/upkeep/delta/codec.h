// Delta codecs: the byte-level pieces of delta updates, free of any network
// or repository knowledge.
//
// A *blob* is one whole file compressed as a single zstd frame. A *patch*
// rebuilds a target file from a source file; two algorithms:
//   kZstd   "zstd"   zstd's patch-from: the source is the dictionary of a
//                    long-distance-matching frame (zstd_patch.cpp), both
//                    files at most kMaxZstdPatchSource;
//   kZstdLong "zstd-long" the same for files of any size (clients from
//                    before it skip the route: they would refuse the size);
//   kBsdiff "bsdiff" a suffix-array diff (libdivsufsort) in bsdiff's
//                    control/diff/extra form, each stream zstd or bzip2
//                    (suffix_patch.cpp);
//   kGzip   "gzip"   for .gz files: a zstd or bsdiff patch of the contents,
//                    recompressed byte-exactly as GNU gzip does
//                    (gzip_patch.cpp); the numbers 1 and 2 name its inner
//                    algorithm inside the patch, so they never change;
//   kBits   "bits"   a patch against a source and its copies shifted by
//                    1..7 bits, for LLVM bitcode (bits_patch.cpp);
//   kBitcode "bitcode" a patch between decoded forms of LLVM bitcode
//                    (bitcode_patch.cpp);
//   kMo     "mo"     a patch between decoded forms of gettext message
//                    catalogs (mo_patch.cpp);
//   kElf    "elf"    for x86-64 ELF programs and libraries: a zstd-long
//                    patch of the target with its references predicted
//                    from the source (elf_patch.h).
// The names are stored in the delta index (delta_index.h).
//
// Readers never trust their input: a blob or patch that is malformed, too
// long, too short or would write more than `expected_size` bytes is
// Error(kVerification) naming the file; a full disk is Error(kNoSpace). The
// output file must not exist; it is created 0600, written, fsynced, and
// removed again on any failure. Memory stays bounded whatever the file size:
// blobs and bsdiff patches stream (the source is read with positioned reads);
// a zstd patch maps its source and target (see kMaxZstdPatchSource).
// Free functions; thread-safe for distinct paths.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::delta {

enum class PatchAlgorithm : int {
  kZstd = 1,
  kBsdiff = 2,
  kGzip = 3,
  kBits = 4,
  kBitcode = 5,
  kMo = 6,
  kZstdLong = 7,
  kElf = 8,
};

const char* algorithm_name(PatchAlgorithm a);
// nullopt for a name this build does not know (a newer publisher's); such
// routes are skipped, never an error.
std::optional<PatchAlgorithm> parse_algorithm(std::string_view name);

// The largest source or target of a kZstd patch, as clients before
// kZstdLong enforce it; larger pairs get kZstdLong. Either decoder maps the
// source and writes the target into a mapping of the output file: file-backed
// page cache, not the client's own memory (docs/architecture.md, "Delta
// updates").
constexpr uint64_t kMaxZstdPatchSource = 64ull << 20;
// Sources above this get no bsdiff patch: its suffix array costs 4 bytes per
// source byte (and more while sorting), over a gigabyte for a browser's main
// library, and there a zstd-long patch is smaller anyway
// (docs/benchmarks.md, "Big binaries").
constexpr uint64_t kMaxSuffixSortSource = 64ull << 20;

// Bit-shift patches (kBits) hold the source and its seven shifted copies,
// eight times the source, in a scratch file; sources above this get none.
constexpr uint64_t kMaxBitsPatchSource = 4ull << 20;
// Bitcode patches (kBitcode) hold both files and their decoded forms in
// memory; files above this get none.
constexpr uint64_t kMaxBitcodePatchFile = 16ull << 20;
// Whether `file` starts as a bit stream kBits and kBitcode are for: LLVM bitcode, raw
// ("BC" C0 DE) or in its wrapper (DE C0 17 0B). The vendor tries kBits and
// kBitcode on these only (kBits costs two more diffs against eight times
// the source).
bool is_bit_stream(const std::filesystem::path& file);
// Whether `file` starts as an x86-64 ELF file: the vendor tries kElf on these only.
bool is_x86_64_elf(const std::filesystem::path& file);
// Elf patches cost a level-19 patch more per pair; smaller files get none.
constexpr uint64_t kMinElfPatchFile = 256 << 10;
// Catalog patches (kMo) hold both files and their decoded forms in memory.
constexpr uint64_t kMaxMoPatchFile = 16ull << 20;
// Whether `file` starts with a (little-endian) gettext catalog's magic: the
// vendor tries kMo on these only.
bool is_mo_file(const std::filesystem::path& file);

// Files of at least this size are compressed by zstd's own workers (jobs of
// a few MiB each), so one large library does not leave the other cores idle.
// zstd's output is the same for any number of workers from 1 up, so a blob
// does not depend on the publishing machine's cores.
constexpr uint64_t kMultithreadBlobMin = 32ull << 20;
// Three of zstd's parameters set apart from the level's; 0 keeps the level's.
// A smaller minimum match finds the short matches machine code is full of; a
// larger window finds the repeats of a library of more than the level's 4
// MiB (publish/compression_preset.cpp has the measurements). Clients decode
// windows up to 2^kZstdWindowLogMax (zstd_stream.h), so the window log stays
// at or below it.
struct ZstdTuning {
  int min_match = 0;   // ZSTD_c_minMatch, 3-7
  int search_log = 0;  // ZSTD_c_searchLog, 1-30
  int window_log = 0;  // ZSTD_c_windowLog, 10-27
};
// Compresses `src` into the blob `dest` (level 1-22); returns the SHA-256
// (hex) of the blob, hashed as it was written. Vendor side. `threads` is how
// many of zstd's workers a file of at least kMultithreadBlobMin gets.
std::string compress_blob(const std::filesystem::path& src, const std::filesystem::path& dest, int level = 19,
                          unsigned threads = 1, ZstdTuning tuning = {});
// Decompresses `blob` into `dest`; returns the SHA-256 (hex) of what was
// written. Exactly `expected_size` bytes must come out.
std::string decompress_blob(const std::filesystem::path& blob, const std::filesystem::path& dest,
                            uint64_t expected_size);

// Writes a patch from `source` to `target` into `dest`. Vendor side; may use
// much memory (a suffix array is 4 bytes per source byte). False (and no
// `dest`) when the algorithm cannot express this pair (kGzip: the files are
// not both gzip files, or the target cannot be recompressed exactly; kBits: the
// source is empty or larger than kMaxBitsPatchSource; kBitcode: either file
// is not bitcode that decodes and encodes back exactly; kMo: the same for
// message catalogs).
bool make_patch(PatchAlgorithm a, const std::filesystem::path& source, const std::filesystem::path& target,
                const std::filesystem::path& dest);
// Applies `patch` to `source`, writing `dest`; returns the SHA-256 (hex) of
// what was written. Exactly `expected_size` bytes must come out.
std::string apply_patch(PatchAlgorithm a, const std::filesystem::path& source, const std::filesystem::path& patch,
                        const std::filesystem::path& dest, uint64_t expected_size);

}  // namespace upkeep::delta

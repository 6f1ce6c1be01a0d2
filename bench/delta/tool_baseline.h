// Tool baseline of the delta benchmark: what the general-purpose delta tools
// Debian ships would need to send for an update from one application folder
// to the next, file by file.
//
// For every file of `to` that is new or changed (same relative path as in
// `from`, different content) it runs `bsdiff old new patch`,
// `xdelta3 -9 -e -s old new patch` and
// `zstd -19 --long=31 --patch-from=old new -o patch` and keeps each patch's
// length; a new file counts as `zstd -19` of the file alone for all three.
// best_of_three sums, per file, the smallest of the three. The tools run
// under `nice -n 10`, two at a time, and each length is cached on disk under
// `cache`, keyed by the SHA-256 of old and new content, so a re-run costs
// only the hashing. POSIX (Linux) bench code; one caller thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep::bench {

struct ToolBaseline {
  size_t files = 0;                            // regular files of `to`
  size_t changed = 0;                          // same path as in `from`, other content
  size_t added = 0;                            // path not in `from`
  uint64_t changed_bytes = 0;                  // size of the changed and added files in `to`
  uint64_t bsdiff = 0, xdelta3 = 0, zstd = 0;  // each tool alone, summed
  uint64_t best_of_three = 0;                  // per file the smallest, summed
  double seconds = 0;                          // wall time (cached results are free)
  size_t tool_runs = 0;                        // tools actually run (not cached)
};

ToolBaseline tool_baseline(const std::filesystem::path& from, const std::filesystem::path& to,
                           const std::filesystem::path& cache, bool verbose);

}  // namespace upkeep::bench

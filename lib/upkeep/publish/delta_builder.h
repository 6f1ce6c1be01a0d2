// DeltaBuilder: the vendor side of delta updates. For one new release it
// fills the repository's content-addressed blob and patch store and returns
// the release's DeltaIndex (published in delta.zst, see delta/delta_index.h).
//
// What it writes, below REPO/targets/ (paths from delta_index.h):
//   - the zstd blob of every distinct content of the release, unless the
//     store already holds it: blobs are shared by all releases of the app and
//     never rewritten (an existing one is hashed from disk for its Stored);
//   - for every distinct content C that no previous release holds, at most
//     one patch per source file S of the previous releases, S chosen per
//     previous release by source_candidate() below. Every algorithm that
//     fits is tried (zstd, or zstd-long when either file is larger than
//     delta::kMaxZstdPatchSource; bsdiff only for sources up to
//     delta::kMaxSuffixSortSource; the format-aware ones for their files); the
//     smaller is kept, and only when its length is at most kMaxPatchToBlobRatio
//     of C's blob: a patch barely smaller than the blob is not worth its
//     storage and the client's CPU. A patch already in the store is reused.
// S's bytes come from its blob (decompressed and checked against S's hash)
// or, for a release published before deltas, from that release's
// package.zip; a source with neither is skipped. Empty files get no patches
// (their blob is a few bytes). Every blob and patch written is decoded once
// and checked against the content hash before it gets its final name, so a
// codec fault or a build file changed during the publish is an
// Error(kVerification), never a signed route that rebuilds the wrong bytes.
//
// Files are made in a work folder REPO/.delta-work-<pid> (removed at the end,
// whatever happens), fsynced, then renamed to their final names: a final
// name never holds a half-written file. After success `created` lists every
// file and folder this build added, so the publisher can remove them if its
// publish fails later; after a failure (an Error) the build has removed them
// itself and the store is as it was.
//
// Threads: build() is called from one thread. It makes the blobs first, on
// BlobCompression::threads workers, largest first (files of at least
// delta::kMultithreadBlobMin also get that many of zstd's own workers),
// then the patches one at a time: a suffix array costs 4 bytes per source
// byte, so one at a time keeps the publisher's memory bounded. Not safe for
// two builders on one repository at the same time (nor is the publisher).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "upkeep/delta/codec.h"
#include "upkeep/delta/delta_index.h"
#include "upkeep/install/manifest.h"

namespace upkeep::publish {

// A patch is kept only when length <= kMaxPatchToBlobRatio * blob length
// (0.8 gave away about 5 % of the bytes on openssl's .gz files).
constexpr double kMaxPatchToBlobRatio = 0.95;

// A release older than the one being built, as the builder needs it.
struct PriorRelease {
  std::string version;
  FileManifest manifest;
  std::filesystem::path package_file;  // its package.zip; empty when not in the repository
};

struct DeltaStats {
  size_t contents = 0;  // distinct contents of the release
  size_t blobs_written = 0;
  size_t blobs_reused = 0;
  uint64_t blob_bytes = 0;          // stored length of all the release's blobs
  uint64_t blob_bytes_written = 0;  // of the blobs written by this build
  size_t patches_computed = 0;      // codec runs (one per source and algorithm)
  size_t patches_kept = 0;          // routes listed in the index (written or reused)
  uint64_t patch_bytes = 0;         // stored length of the kept patches
};

struct DeltaBuild {
  delta::DeltaIndex index;
  // What this build added to the repository, in creation order: folders
  // before the files in them. Remove files, then folders (when empty), in
  // reverse order to undo it.
  std::vector<std::filesystem::path> created_files;
  std::vector<std::filesystem::path> created_dirs;
  DeltaStats stats;
};

// Called after each blob, then after the patches of each new content:
// (done, total), from whichever thread finished the step, one call at a
// time. Never called when there is nothing to do.
using DeltaProgress = std::function<void(size_t done, size_t total)>;

// The file of `prior` a patch to `target` is made from, or nullptr:
// the file at the same path when its content differs; else, among the files
// with the same file name, those in a parent folder of the same name, else
// all of them, the one closest in size (ties: the first by path).
const FileEntry* source_candidate(const FileManifest& prior, const FileEntry& target);

// How the blobs are compressed (compression_preset.h chooses the level).
struct BlobCompression {
  int level = 19;            // zstd level, 1-19
  delta::ZstdTuning tuning;  // parameters set apart from the level's
  unsigned threads = 1;      // workers making blobs side by side
};

class DeltaBuilder {
 public:
  DeltaBuilder(std::filesystem::path repo_dir, std::string app_id);

  void set_progress(DeltaProgress progress) { progress_ = std::move(progress); }
  void set_compression(BlobCompression c) { compression_ = c; }

  // `release` describes the files of `build_dir` (checked: a file whose size
  // or hash differs from it is Error(kVerification)). `previous` are the
  // releases patches start from (none: blobs only), newest first.
  DeltaBuild build(const FileManifest& release, const std::filesystem::path& build_dir,
                   const std::vector<PriorRelease>& previous);

 private:
  std::filesystem::path repo_dir_;
  std::string app_id_;
  DeltaProgress progress_;
  BlobCompression compression_;
};

}  // namespace upkeep::publish

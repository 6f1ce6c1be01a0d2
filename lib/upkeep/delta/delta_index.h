// DeltaIndex: the signed list of ways to fetch each file content of a
// release, beside the release's files.json and package.zip.
//
// files.json says what a version is; the delta index says how to get its
// bytes from what a client already has. It is published inside the
// release's delta bundle (delta_bundle.h: files.json and this text in one
// zstd frame), a TUF target of its own, so every route it lists is signed
// through it. One entry per distinct file content of the release:
//   {"files":[{"blob":{"length":812,"sha256":"<hex>"},
//              "patches":[{"algorithm":"zstd","from":"<hex>","length":90,"sha256":"<hex>"}],
//              "sha256":"<content hex>"}, ...],
//    "format":2,"version":"1.2.0"}
// "sha256" is the file's content (as in files.json, which also has its
// size); "blob" is the zstd-compressed file; each patch rebuilds that
// content from the file whose content hash is "from". Lengths and hashes of
// blobs and patches are of the bytes as served. Entries are sorted by
// content hash, patches by (from, algorithm). Unknown algorithms are kept as
// written and skipped by clients. Format 1 (a separate delta.json whose
// entries also had "size") is refused.
//
// Where the bytes live (relative to the repository's targets/ URL), shared
// by all releases of an app, named by content so every file is stored once:
//   <app>/blobs/<content sha256>.zst
//   <app>/patches/<from sha256>-<to sha256>.<algorithm>
// The const members are thread-safe to share; check_matches() is the one
// that modifies (it sets the sizes), called once before the index is shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/install/manifest.h"

namespace upkeep::delta {

struct Stored {  // a blob or patch as served
  uint64_t length = 0;
  std::string sha256;
};

struct PatchRoute {
  std::string algorithm;  // "zstd", "bsdiff", or a name this build does not know
  std::string from;       // content SHA-256 of the source file
  Stored stored;
};

struct ContentEntry {
  std::string sha256;  // content
  // Its size, from files.json: not written to the index. Set by whoever
  // builds the entry (the vendor), or by check_matches() after parse().
  uint64_t size = 0;
  Stored blob;
  std::vector<PatchRoute> patches;
};

// True for 64 lower-case hex digits: the only form a hash may take before it
// becomes part of a URL or a file name.
bool is_sha256_hex(std::string_view s);

std::string blob_target_path(std::string_view app_id, std::string_view content_sha256);
std::string patch_target_path(std::string_view app_id, std::string_view from_sha256, std::string_view to_sha256,
                              std::string_view algorithm);

class DeltaIndex {
 public:
  DeltaIndex() = default;
  DeltaIndex(std::string version, std::vector<ContentEntry> entries);

  // Strict parse; throws Error(kBadInput) naming `what`, the entry and the
  // field (a hash that is not 64 hex digits, a missing length, a format
  // other than 2, ...). The entries' sizes are 0 until check_matches().
  static DeltaIndex parse(std::string_view json_text, std::string_view what = "delta index");

  const std::string& version() const { return version_; }
  const std::vector<ContentEntry>& entries() const { return entries_; }
  const ContentEntry* find(std::string_view content_sha256) const;

  // Throws Error(kVerification) unless the index lists exactly the distinct
  // contents of `m` (same version): a client never fetches a route for a
  // file the signed manifest does not hold. After success every entry's
  // size is its content's size in `m`; after a failure the index is
  // unchanged.
  void check_matches(const FileManifest& m);

  std::string to_json() const;  // canonical, as signed (one line: canonical JSON holds no newline)

 private:
  std::string version_;
  std::vector<ContentEntry> entries_;  // sorted by sha256
};

}  // namespace upkeep::delta

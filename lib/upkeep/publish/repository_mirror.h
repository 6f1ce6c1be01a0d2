// RepositoryMirror: copies a published repository (metadata/ and every file
// of targets/ its signed metadata references) into a folder that any static
// web server, or `upkeep serve`, can host inside a network.
//
// It trusts nothing it has not verified. The TUF client (tuf/tuf_client.h)
// refreshes DIR/.upkeep-mirror/trust/ from the source, starting from
// --trusted-root (or, on first use, the source's 1.root.json); the files
// copied into DIR/metadata/ are exactly the bytes that client verified
// (timestamp, snapshot and targets from its cache; every older N.root.json
// checked backwards: version N, self-signed, and N+1 signed by a threshold
// of N's root keys). Every target is downloaded with its signed length and
// SHA-256 checked while streaming; each delta.zst is unpacked (its signed
// manifest checked) and every blob and patch its delta index lists is
// fetched with the length and hash listed there.
//
// Writes are atomic: a file is downloaded into DIR/.upkeep-mirror/tmp/ and
// renamed to its final name only once complete and verified; metadata is
// written after all targets, timestamp.json last, so the mirror's clients see
// the old or the new repository, never a mix. Incremental: a file already in
// DIR with the right length and hash is not fetched; metadata whose bytes
// are already there is not rewritten. Delegated targets roles are not
// supported (Error(kFailure)); the publisher makes none.
//
// After run() succeeds: DIR serves the source's current repository. After it
// throws (Error(kVerification) naming the file that did not match,
// kNetwork, kNoSpace, ...): DIR/metadata is as it was, so clients of the
// mirror still see the previous consistent state; targets finished before
// the failure stay (complete, verified, content-addressed), and no file is
// left under a final name half-written. One thread; one mirror run per DIR
// at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "upkeep/net/fetcher.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::publish {

struct MirrorOptions {
  std::string source_url;  // the repository's base URL (with metadata/ and targets/ below); '/' added
  std::filesystem::path dir;
  std::optional<std::filesystem::path> trusted_root;  // pinned root.json for the first run
  // Which of the verified targets to copy, by path. Unset: all of them and
  // every blob and patch their delta indexes list; set (an offline bundle
  // copies one release): those targets only, no blobs or patches. The
  // metadata is always copied whole (its signatures cover all of it).
  std::function<std::set<std::string>(const std::vector<tuf::TargetFile>&)> select;
};

struct MirrorResult {
  int64_t root_version = 0;
  int64_t timestamp_version = 0;
  int64_t snapshot_version = 0;
  int64_t targets_version = 0;
  size_t files = 0;            // target files referenced (targets, blobs, patches)
  size_t fetched = 0;          // of them downloaded by this run
  size_t present = 0;          // already in DIR with the right length and hash
  uint64_t bytes_total = 0;    // length of all referenced target files
  uint64_t bytes_fetched = 0;  // received over the network by this run
  size_t metadata_written = 0;
  bool trusted_on_first_use = false;
};

// Called after each target file: files done, files known so far, bytes fetched so far.
using MirrorProgress = std::function<void(size_t done, size_t known, uint64_t bytes_fetched)>;

class RepositoryMirror {
 public:
  RepositoryMirror(MirrorOptions options, net::Fetcher& fetcher, MirrorProgress progress = {});
  MirrorResult run();
  const std::string& source_url() const { return options_.source_url; }  // ends with '/'

 private:
  struct Item {
    std::string rel;  // path under targets/
    std::string url;
    uint64_t length = 0;
    std::string sha256;
  };
  void prepare_trust(MirrorResult& result);
  void ensure(const Item& item, MirrorResult& result);
  void write_metadata(int64_t root_version, MirrorResult& result);
  // The blobs and patches the delta bundles of `targets` list (already
  // mirrored under DIR/targets), those not in `seen` yet (added to it).
  std::vector<Item> delta_pieces(const std::vector<tuf::TargetFile>& targets, bool consistent,
                                 std::set<std::string>& seen) const;
  // Every blob and patch route of one delta bundle, with its source URL.
  std::vector<Item> bundle_routes(const std::string& app_id, const tuf::TargetFile& bundle,
                                  const tuf::TargetFile& manifest, bool consistent) const;
  std::filesystem::path work_dir() const { return options_.dir / ".upkeep-mirror"; }

  MirrorOptions options_;
  net::Fetcher& fetcher_;
  MirrorProgress progress_;
  size_t done_ = 0;
  size_t known_ = 0;
};

}  // namespace upkeep::publish

// RepositoryUpload: copies a local repository to a PublishDestination in
// the one order that never shows a client a half-published release; the
// one place that order is decided, for every kind of destination.
//
// Order (order()): targets first (packages, manifests, delta bundles,
// blobs, patches), then the versioned targets and delegated roles
// (N.<role>.json), then N.snapshot.json, then the root versions
// (N.root.json ascending, then root.json), and metadata/timestamp.json
// LAST of the repository: a client reaches new files only through the new
// timestamp, so until it is written the destination serves the previous
// release whole. The latest links (download/, admin/latest_bundle.h) follow
// it, and are always sent (they change in place, and are too big to compare).
// Root versions come just before it because a new root may change the
// timestamp keys: published earlier it would make the old timestamp fail.
//
// Each file goes to a temporary name in its folder (".<name>.upkeep-part")
// and is renamed over its final name. Files the destination already holds
// are skipped: versioned and content-addressed names (everything but the
// unversioned metadata) when their size matches, the unversioned metadata
// (timestamp.json, root.json) when their bytes match. A failed copy is tried
// `attempts` times; then run() throws the Error (naming the file) and stops,
// so timestamp.json is never written pointing at a missing file. Files gone
// from the local repository are never removed from the destination (clients
// of the previous release may still be fetching them). Local names starting
// with '.' (temporary files) are not published. One thread at a time.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "upkeep/watch/publish_destination.h"

namespace upkeep::watch {

struct UploadResult {
  size_t uploaded = 0;
  size_t skipped = 0;  // already identical at the destination
  size_t retries = 0;  // failed copies tried again
};

class RepositoryUpload {
 public:
  // `destination` outlives the upload. Error(kNotFound) when `local_repo`
  // holds no metadata/timestamp.json.
  RepositoryUpload(std::filesystem::path local_repo, PublishDestination& destination, int attempts = 3);

  // `files` (repository-relative paths) in publishing order.
  static std::vector<std::string> order(std::vector<std::string> files);
  // Whether a file of this name never changes once published.
  static bool immutable_name(const std::string& path);

  UploadResult run();

 private:
  bool identical(const std::string& path, const std::map<std::string, uint64_t>& present);
  void copy_one(const std::string& path, UploadResult& result);

  std::filesystem::path local_;
  PublishDestination& destination_;
  int attempts_;
};

}  // namespace upkeep::watch

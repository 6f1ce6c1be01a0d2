// RepositoryLayout: where things lie in upkeep's static TUF repository, the
// one place that spells it, for both sides of it: URLs under a repository
// URL (the client, installer, repair and mirror fetch from there) and files
// under a repository folder (the publisher writes there, the mirror copies
// into one, `upkeep serve` serves one).
//
//   metadata/1.root.json, N.root.json, root.json, [N.]targets.json,
//   [N.]snapshot.json, timestamp.json
//   targets/<target path>, with consistent snapshots stored as
//   targets/<dir>/<sha256>.<name> (see consistent_name)
//
// The per-app delta store under targets/ (blobs/, patches/) is spelt by
// delta/delta_index.h. Pure functions of their arguments: any thread; they
// never fail.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep {

class RepositoryLayout {
 public:
  static constexpr const char* kMetadataDir = "metadata";
  static constexpr const char* kTargetsDir = "targets";

  // "N.root.json": every root version is kept under this name.
  static std::string root_file_name(int64_t version);
  // "<dir>/<sha256>.<name>" for target `path` ("<sha256>.<name>" at the top):
  // its name under targets/ with consistent snapshots, unencoded.
  static std::string consistent_name(const std::string& path, const std::string& sha256);

  // URL side. `repo_url` ends in '/' (callers normalise it).
  static std::string metadata_url(const std::string& repo_url);  // repo_url + "metadata/"
  static std::string targets_url(const std::string& repo_url);   // repo_url + "targets/"
  static std::string root_url(const std::string& repo_url, int64_t version);
  // The URL of the file `rel` (a path under targets/), percent-encoded but for '/'.
  static std::string target_url(const std::string& repo_url, const std::string& rel);

  // Folder side.
  static std::filesystem::path metadata_dir(const std::filesystem::path& repo_dir);
  static std::filesystem::path targets_dir(const std::filesystem::path& repo_dir);
};

}  // namespace upkeep

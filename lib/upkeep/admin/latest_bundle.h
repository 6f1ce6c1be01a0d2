// LatestBundle: the stable "download the latest" link of a repository, a
// URL a vendor's website points at that always serves the newest offline
// bundle (admin/offline_bundle.h) of one app, channel and platform:
//
//   <repo>/download/<app>-latest-<platform>            the stable channel
//   <repo>/download/<app>-<channel>-latest-<platform>  any other channel
//
// It is a real file, not a symlink (object storage such as S3 copies no
// symlinks), replaced atomically (a copy beside it, fsynced, renamed over
// it), so a static server never serves half of it. It only moves forward: a
// bundle replaces it only when its version is newer than the one the link
// holds (bundling an old version never takes the link back). Served with
// "Cache-Control: no-cache" (repository/cache_rules.h: download/ changes in
// place). Stateless functions: any thread; one writer per link at a time.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "upkeep/admin/offline_bundle.h"

namespace upkeep::admin {

class LatestBundle {
 public:
  static constexpr const char* kDir = "download";

  // The link's file name; Error(kBadInput) for a part that could leave the folder or is empty.
  static std::string file_name(const std::string& app_id, const std::string& channel, const std::string& platform);
  // <repo_dir>/download/<file_name(...)> of those facts.
  static std::filesystem::path path_of(const std::filesystem::path& repo_dir, const BundleFacts& facts);

  // True when the link of these facts is missing, not a readable bundle, or
  // holds an older version than facts.version.
  static bool is_behind(const std::filesystem::path& repo_dir, const BundleFacts& facts);

  // Copies `bundle` (a written bundle) to its link when is_behind(); returns
  // the link's path then, nullopt when the link already holds that version or
  // a newer one. Errors: kBadBundle (not a bundle), kNoSpace, kPermission,
  // kFailure naming the file; the link is then as it was.
  static std::optional<std::filesystem::path> refresh(const std::filesystem::path& repo_dir,
                                                      const std::filesystem::path& bundle);
};

}  // namespace upkeep::admin

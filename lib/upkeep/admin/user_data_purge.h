// UserDataPurge: which user data folders `uninstall --purge` removes, and
// their removal. The install's record (install.json) names them while the
// root exists; once a plain uninstall removed the root and its record (or
// for a root older than the record), the XDG rules name them from the app id
// and scope (InstallPaths::resolve, docs/admin-guide.md): the same folders
// the record would have named unless the XDG variables changed since.
//
// It never removes a folder that holds an install root (an app id named
// "upkeep" would name $XDG_DATA_HOME/upkeep, the folder of every per-user
// root): that one is skipped and `problem` says so. Value type; one thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/admin/install_paths.h"

namespace upkeep::admin {

struct UserDataPurge {
  std::vector<std::filesystem::path> folders;  // candidates; those that do not exist are passed over
  std::vector<std::filesystem::path> roots;    // install roots none of the folders may hold

  // The folders the XDG rules name for `app_id` in `scope` (Error(kUsage)
  // when they cannot be named: HOME unset, a bad app id), with the default
  // root of that app id protected.
  static UserDataPurge by_rules(const std::string& app_id, InstallScope scope, const InstallPaths::Env& env = {});

  // Removes each existing folder; returns those removed. Skipped folders are described in `problem`.
  std::vector<std::filesystem::path> run(std::string& problem) const;
};

}  // namespace upkeep::admin

// Installer: puts an application into an install root, and takes it out.
//
// install(): bootstraps trust (a pinned root.json, or the repository's
// 1.root.json on first use), refreshes the signed metadata, picks the
// newest (or the requested) release, downloads, verifies and stages it
// with the same Stager the updater uses, promotes it, and writes the
// launcher, the config and the state. After success the root starts with
// `<root>/<app-id>`. After failure the root folder is removed if install()
// created it, and nothing else changed.
// uninstall(): removes an install root under its lock; a root that does not
// exist is not an error (safe to run twice). One thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "update/update_observer.h"

namespace upkeep {

struct InstallOptions {
  std::string repository_url;          // ends with '/'
  std::filesystem::path prefix;        // the install root
  std::optional<std::string> version;  // exact version, else newest in channel
  std::optional<std::string> app_id;   // needed when the repository holds several apps
  std::string channel = "stable";
  std::optional<std::filesystem::path> trusted_root;  // pinned root.json; else first use
  std::filesystem::path launcher_binary;              // copied to <root>/<app-id>
  std::filesystem::path updater_binary;               // copied to <root>/upkeep-updater when present
};

struct InstallResult {
  std::string app_id;
  std::string version;
  std::filesystem::path launcher;
  bool trusted_on_first_use = false;
};

InstallResult install(const InstallOptions& options, UpdateObserver& observer);

// Returns false when there was nothing to remove.
bool uninstall(const std::filesystem::path& prefix);

}  // namespace upkeep

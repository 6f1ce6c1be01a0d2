// InstallRecord: what an install put outside its root (the shortcut, the
// icon, the update timer's units) and which user data folders belong to it, kept in
// <root>/install.json so that uninstall removes exactly that, whoever runs
// it and whatever the environment says then.
//
// load() is strict (Error(kBadInput) naming the file and key); a root from
// before the record has none (nullopt). Paths in the record must be
// absolute. Value type; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "upkeep/admin/install_paths.h"

namespace upkeep::admin {

struct InstallRecord {
  InstallScope scope = InstallScope::kUser;
  std::optional<std::filesystem::path> desktop_entry;
  std::optional<std::filesystem::path> icon;
  std::vector<std::filesystem::path> units;  // systemd service and timer (update_timer.h)
  std::vector<std::filesystem::path> user_data;

  static std::filesystem::path file_in(const std::filesystem::path& root) { return root / "install.json"; }
  static std::optional<InstallRecord> load(const std::filesystem::path& root);
  void save(const std::filesystem::path& root) const;

  // Error(kNeedsRoot) "<root> is a per-machine install: <doing> needs
  // administrator rights (root)" when the record at `root` says kSystem and
  // this process is not administrator; `doing` is e.g. "removing it".
  static void require_rights(const std::filesystem::path& root, const std::string& doing);
};

}  // namespace upkeep::admin

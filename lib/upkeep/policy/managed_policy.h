// ManagedPolicy: the settings an administrator imposes on every install of
// an application on this machine, from JSON files in a policy folder
// (docs/admin-guide.md "Managed policy"), the way browsers read enterprise policies.
//
// The folder is <base>/<app-id>/, base being $UPKEEP_POLICY_DIR when set,
// else the build's default (CMake UPKEEP_DEFAULT_POLICY_DIR,
// /etc/upkeep/policies). Its files named *.json (not starting with '.')
// are read in byte order of their names; a later file overrides the keys it
// names. A missing folder is no policy.
//
// Strict: a file that is not JSON, not an object, has an unknown key or a
// wrong type or value is rejected as a whole (none of its keys apply), and
// the error names the file, the key and what was expected; the other files
// still apply. Errors are logged and kept for `launcher --upkeep-status`.
//
// load() and effective_settings() never throw for the policy (errors are
// kept, and the launcher must always start); after them
// the value is immutable and safe to share between threads.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/policy/update_settings.h"

namespace upkeep {

class Layout;
struct Config;

class ManagedPolicy : public SettingsLayer {
 public:
  struct File {
    std::string path;
    Json settings;  // an object whose every key passed UpdateSettings::set
  };

  // <base>/<app_id>; `source` (optional) says where the base came from.
  // Throws Error(kBadInput) for an app id that is not one path component.
  static std::filesystem::path folder_for(const std::string& app_id, const EnvLookup& env,
                                          SettingSource* source = nullptr);
  static ManagedPolicy load(const std::filesystem::path& folder);

  const std::filesystem::path& folder() const { return folder_; }
  const std::vector<File>& files() const { return files_; }
  const std::vector<UpdateSettings::PolicyError>& errors() const { return errors_; }

  // Applies the valid files in order, recording each as the source of its
  // keys, and records the folder, the files and the errors in `s`.
  void apply_to(UpdateSettings& s) const override;

  // Everything a program needs: defaults, `config` (read from
  // layout.config_file()), this machine's policy for config.app_id, the environment.
  static UpdateSettings effective_settings(const Layout& layout, const Config& config,
                                           const EnvLookup& env = process_environment());

 private:
  std::filesystem::path folder_;
  SettingSource folder_source_;
  std::vector<File> files_;
  std::vector<UpdateSettings::PolicyError> errors_;
};

}  // namespace upkeep

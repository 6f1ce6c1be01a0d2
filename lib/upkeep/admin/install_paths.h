// InstallPaths: where an installation's files go, per user or per machine.
//
// Per user (the default) follows the XDG Base Directory specification:
//   root          $XDG_DATA_HOME/upkeep/<app-id>      (~/.local/share/...)
//   shortcut      $XDG_DATA_HOME/applications/<app-id>.desktop
//   icon          $XDG_DATA_HOME/icons/hicolor/<size>/apps/<app-id>.<ext>
//   user data     $XDG_CONFIG_HOME/<app-id>, $XDG_DATA_HOME/<app-id>,
//                 $XDG_STATE_HOME/<app-id>, $XDG_CACHE_HOME/<app-id>
//                 (what `uninstall --purge` removes; kept otherwise)
//   silent log    $XDG_STATE_HOME/upkeep/
// Per machine (--system): /opt/<app-id>, /usr/share/applications,
// /usr/share/icons, data /var/lib/<app-id>, log /var/log/upkeep/.
// An XDG variable that is unset, empty or relative takes its default, as the
// specification says. Every path can be overridden (tests, packaging).
// Value type; resolve() is thread-safe when `env` is.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace upkeep::admin {

enum class InstallScope { kUser, kSystem };

struct InstallPathOverrides {
  std::optional<std::filesystem::path> prefix;            // the install root
  std::optional<std::filesystem::path> applications_dir;  // where the .desktop entry goes
  std::optional<std::filesystem::path> icons_dir;         // the icon theme base (holds hicolor/)
};

struct InstallPaths {
  InstallScope scope = InstallScope::kUser;
  std::filesystem::path root;
  std::filesystem::path applications_dir;
  std::filesystem::path icons_dir;
  std::vector<std::filesystem::path> user_data;  // removed by uninstall --purge
  std::filesystem::path log_dir;                 // silent mode's log

  // Environment lookup; nullptr when unset. Default: getenv.
  using Env = std::function<const char*(const char*)>;
  // Error(kUsage) when a per-user path is needed and HOME is unset or
  // relative, or `app_id` cannot name a folder.
  static InstallPaths resolve(InstallScope scope, const std::string& app_id, const InstallPathOverrides& o,
                              const Env& env = {});
  // The user's own data folder of an application, $XDG_DATA_HOME/<app-id>
  // (one of user_data), whatever the install's scope: where an application
  // keeps the user's documents. Errors as resolve().
  static std::filesystem::path user_data_home(const std::string& app_id, const Env& env = {});
  // $XDG_CONFIG_HOME (~/.config): where the user's systemd units go
  // (update_timer.h). Errors as resolve().
  static std::filesystem::path config_home(const Env& env = {});
};

// Error(kBadInput) unless `app_id` can name a file: not empty, no '/', no
// leading '.', at most 255 bytes.
void check_app_id(const std::string& app_id);

}  // namespace upkeep::admin

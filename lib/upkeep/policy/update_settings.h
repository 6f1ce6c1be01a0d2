// UpdateSettings: the effective update settings of one install, each with
// the place it came from (docs/admin-guide.md "Managed policy").
//
// Layers, lowest first: built-in defaults < the user's config.json
// (Config) < managed policy files (ManagedPolicy, in file name order, the
// later file winning); the proxy falls back to the environment
// (https_proxy / http_proxy) when no policy names one. set() is the one
// strict check of a setting's value, used for every layer: a wrong type or
// a value out of range is Error(kBadInput) "key 'K': expected …, found …"
// and nothing is changed. A check interval between 1 and the floor is
// raised to the floor, and the source records that.
//
// Plain value; safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/platform/clock.h"
#include "upkeep/policy/mirror_list.h"
#include "upkeep/policy/quiet_hours.h"

namespace upkeep {

struct Config;
struct UpdateSettings;

// A layer of settings over config.json's. Managed policy (ManagedPolicy,
// managed_policy.h) is the one there is; the interface keeps this file from
// depending on where policy comes from. Thread: the caller's.
class SettingsLayer {
 public:
  virtual ~SettingsLayer() = default;
  // Sets what the layer holds, with its sources; records the layer's own errors.
  virtual void apply_to(UpdateSettings& settings) const = 0;
};

enum class UpdateMode { kAutomatic, kDownloadOnly, kManual, kDisabled };
enum class RestartPrompt { kAsk, kNotify, kForced };

const char* update_mode_name(UpdateMode m);
const char* restart_prompt_name(RestartPrompt p);

// Where an effective value came from.
struct SettingSource {
  enum class Kind { kDefault, kConfig, kPolicy, kEnvironment };
  Kind kind = Kind::kDefault;
  std::string origin;  // the file (config, policy) or the variable (environment); "" for a default
  std::string note;    // what was changed on the way, e.g. "raised from 5 to the floor of 60"

  const char* kind_name() const;  // "default", "config", "policy", "environment"
  std::string describe() const;   // "policy /etc/upkeep/policies/demo/10-fleet.json"
};

// An environment look-up (std::getenv in programs; a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

// "2.4." or "2.4" matches 2.4, 2.4.0 and 2.4.7-rc.1, but not 2.40.0; "" matches every version.
bool version_matches_prefix(std::string_view version, std::string_view prefix);

struct UpdateSettings {
  static constexpr int64_t kCheckIntervalFloor = 60;        // minutes
  static constexpr int64_t kCheckIntervalMax = 525600;      // a year
  static constexpr int64_t kRestartDeadlineMaxHours = 720;  // 30 days
  static constexpr int64_t kCheckOnStartDeadlineMax = 600;  // seconds

  UpdateMode mode = UpdateMode::kAutomatic;
  int64_t check_interval_minutes = 360;  // 0: no background checks
  std::string channel = "stable";
  std::string target_version_prefix;  // "" = any version
  bool rollback_to_target_version = false;
  bool allow_downgrade = false;
  std::optional<QuietHours> quiet_hours;
  RestartPrompt restart_prompt = RestartPrompt::kAsk;
  int64_t restart_deadline_hours = 24;          // for kForced
  std::string repository_url;                   // ends with '/'
  std::vector<std::string> mirror_urls;         // each ends with '/'; tried after repository_url
  std::string proxy;                            // "" = the environment's, "direct" = none, else http://host:port
  std::string environment_proxy;                // what the environment says (shown when `proxy` is "")
  int64_t check_on_start_deadline_seconds = 5;  // the launcher's check on start waits this long, then starts the app
  // The repositories' credentials (net/credential_store.h): "" = <root>/credentials.json when it exists.
  std::string credentials_file;

  std::map<std::string, SettingSource, std::less<>> sources;  // one per key()

  // The managed policy that was read (empty folder when none).
  std::filesystem::path policy_folder;
  SettingSource policy_folder_source;
  std::vector<std::string> policy_files;  // applied, in order
  struct PolicyError {
    std::string file;
    std::string message;
  };
  std::vector<PolicyError> policy_errors;  // rejected files (or an unreadable folder)

  UpdateSettings();

  // The setting keys, in the order they are shown.
  static const std::vector<std::string>& keys();
  // Checks `value` for `key` and stores it with its source (see above).
  void set(std::string_view key, const Json& value, const SettingSource& source);
  Json value_of(std::string_view key) const;

  // defaults < config < policy < (proxy only) environment when policy is silent.
  static UpdateSettings resolve(const Config& config, const std::filesystem::path& config_file,
                                const SettingsLayer& policy, const EnvLookup& env);

  // repository_url, then mirror_urls: the sources an update check tries.
  MirrorList repository_sources() const;

  // The background thread checks (automatic or download_only, interval > 0 aside).
  bool checks_automatically() const { return mode == UpdateMode::kAutomatic || mode == UpdateMode::kDownloadOnly; }
  bool in_quiet_hours(const Clock& clock) const;
  bool version_allowed(std::string_view version) const {
    return version_matches_prefix(version, target_version_prefix);
  }
  bool downgrades_allowed() const { return allow_downgrade || rollback_to_target_version; }
  // Why managed policy keeps the staged `version` from being applied now;
  // "" when it may be. The one rule for the launcher and the privileged
  // updater: never under "disabled"; under "download_only" only when the
  // user asked to restart to update (`user_asked`); always within
  // target_version_prefix.
  std::string apply_refused(std::string_view version, bool user_asked) const;

  // {"key": {"value": …, "source": "policy", "origin": "/etc/…", "note": …}, …}
  Json to_json() const;
  // {"folder": …, "folder_source": …, "files": […], "errors": [{"file": …, "error": …}]}
  Json policy_json() const;
};

}  // namespace upkeep

// Config: the per-install settings in <root>/config.json, written by the
// installer and read by the launcher and the main program.
//
// load() is strict about what it knows: a missing required field or a wrong
// type or value is Error(kBadInput) naming the file and the key. A key it
// does not know (written by a newer version) is a warning, never an error:
// kept in unknown_keys and logged. load_or_salvage() throws only
// for a file it may not read: it is how a program that must go on (the launcher) reads a damaged file.
// Value type; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/install/quarantine.h"

namespace upkeep {

class StateStore;

struct Config {
  std::string app_id;
  std::string repository_url;  // base URL of the repository (…/ with metadata/ and targets/ below)
  std::vector<std::string> mirror_urls;  // "mirrors": tried in order when the repository fails (policy/mirror_list.h)
  std::string channel = "stable";
  std::string platform;                         // e.g. linux-x86_64
  std::string main_program = "mainapp";         // path of the main program inside a version folder
  int64_t check_interval_minutes = 360;         // background checks; 0 disables
  bool check_on_start = false;                  // launcher checks, downloads and applies before starting
  int64_t check_on_start_deadline_seconds = 5;  // ... waiting at most this long (UpdateSettings' range)
  int64_t trial_timeout_seconds = 30;           // the trial window of a release whose health rule is confirm
  int64_t handover_ready_timeout_seconds = 60;  // a hand-over's wait for the new program to be ready (1..3600)
  bool headless = false;                        // main program: no prompt, apply at exit
  int64_t max_update_failures = kDefaultMaxUpdateFailures;  // failed tries of one update before it is quarantined
  bool delta_updates = true;  // fetch only missing files and patches when the release offers them
  // A request with fewer than min_transfer_rate bytes/s over the last
  // min_transfer_rate_seconds is given up (net/transfer_guard.h).
  int64_t min_transfer_rate = 1024;
  int64_t min_transfer_rate_seconds = 30;
  // The keys the file named (from_json): tells a value the user set from a
  // default (UpdateSettings, `launcher --upkeep-status`); to_json writes a
  // setting only when named here or not the default. Not itself written.
  std::set<std::string, std::less<>> keys_in_file;
  std::vector<std::string> unknown_keys;  // keys from_json ignored (a newer version's), for warnings

  static Config load(const std::filesystem::path& file);
  // load(), or when the file is missing or damaged (unreadable, not JSON,
  // not an object, a missing or wrong value): the defaults, app_id set to
  // `app_id`, plus every key of a damaged object that is right on its own;
  // `damage` says what was wrong. Throws only Error(kPermission): a file
  // this user may not read is not damaged.
  struct Loaded;
  static Loaded load_or_salvage(const std::filesystem::path& file, const std::string& app_id);
  // The valid keys of `j` (an object or not) over `base`: each is kept when
  // from_json accepts it on its own; `dropped` gets "key: why" for the rest.
  static Config salvage(const Json& j, Config base, std::vector<std::string>& dropped);
  static Config from_json(const Json& j, const std::string& what);
  // app_id, repository, mirrors (when set), platform, main_program, and the
  // settings keys_in_file names or that differ from the default.
  Json to_json() const;
  // Atomically (fs::write_file_atomic): a crash leaves the old file or the new one.
  void save(const std::filesystem::path& file) const;

  // The copy of a good config.json kept in state.db (meta "config"), from
  // which `upkeep repair` rewrites a damaged one (admin/config_repair.h).
  // remember() writes only when the copy differs.
  static void remember(StateStore& store, const Config& config);
  static std::optional<Json> remembered(const StateStore& store);
};

struct Config::Loaded {
  Config config;
  std::string damage;  // "" when the file was read as it is
  bool damaged() const { return !damage.empty(); }
  // What every program says of a damaged file, once: "updates are off until
  // `upkeep repair --prefix ROOT` rewrites config.json" (`root`: the install root).
  static std::string updates_off(const std::filesystem::path& root);
};

}  // namespace upkeep

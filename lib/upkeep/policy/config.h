// Config: the per-install settings in <root>/config.json, written by the
// installer and read by the launcher and the main program.
//
// load() is strict: a missing required field, a wrong type or an unknown key
// is Error(kBadInput) naming the file and the key. Value type; thread-safe.
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include "upkeep/base/json.h"
#include "upkeep/install/quarantine.h"

namespace upkeep {

struct Config {
  std::string app_id;
  std::string repository_url;  // base URL of the repository (…/ with metadata/ and targets/ below)
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
  // default (UpdateSettings, `launcher --upkeep-status`). Not written by to_json.
  std::set<std::string, std::less<>> keys_in_file;

  static Config load(const std::filesystem::path& file);
  static Config from_json(const Json& j, const std::string& what);
  Json to_json() const;
  void save(const std::filesystem::path& file) const;
};

}  // namespace upkeep

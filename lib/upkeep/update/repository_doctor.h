// RepositoryDoctor: checks a hosted repository the way its clients will meet
// it, for `upkeep doctor REPO_URL`, and says for each problem what to fix
// (the rules: docs/hosting.md).
//
//   metadata  a full TUF refresh (tuf::Client, in a fresh trust folder under
//             `work_dir`) from the pinned root or, without one, the
//             repository's 1.root.json trusted on first use;
//   expiry    each top-level role's signed expiry against its window: a role
//             expiring within it fails (the timestamp within 12 h means the
//             refresh-timestamp job has missed runs; snapshot and targets are
//             re-signed only by a release or a rollout);
//   cache     the Cache-Control of every metadata file fetched, of root.json
//             and of each current release's files.json, judged by CacheRules
//             (repository/cache_rules.h);
//   target    every target of the newest release of each app, platform and
//             channel (package, files.json, delta.zst) downloaded into
//             `work_dir` and checked against its signed length and SHA-256.
//
// examine() never throws for what it finds: a failed refresh is a finding
// (the checks that need verified metadata are then skipped). It throws only
// for a local fault (kNoSpace, kPermission while writing `work_dir`). One
// thread per object; the fetcher is used by that thread only.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "upkeep/net/fetcher.h"
#include "upkeep/platform/clock.h"
#include "upkeep/update/doctor_report.h"

namespace upkeep {

namespace tuf {
class Client;
}

struct DoctorOptions {
  std::optional<std::filesystem::path> trusted_root;  // else trust on first use
  // A role that expires within its window fails.
  std::chrono::seconds timestamp_window = std::chrono::hours(12);
  std::chrono::seconds snapshot_window = std::chrono::hours(48);
  std::chrono::seconds targets_window = std::chrono::hours(24 * 14);
  std::chrono::seconds root_window = std::chrono::hours(24 * 30);
  bool check_targets = true;  // download and verify every current target
};

class RepositoryDoctor {
 public:
  // `repo_url` ends in '/'; `work_dir` exists, is empty and belongs to this object.
  RepositoryDoctor(std::string repo_url, std::filesystem::path work_dir, net::Fetcher& fetcher,
                   const Clock& clock = *SystemClock::instance());

  DoctorReport examine(const DoctorOptions& options);

 private:
  bool refresh(tuf::Client& client, const DoctorOptions& options, DoctorReport& report);
  void check_expiries(const tuf::Client& client, const DoctorOptions& options, DoctorReport& report) const;
  void check_cache(const std::string& url, DoctorReport& report) const;
  void check_metadata_cache(const tuf::Client& client, DoctorReport& report);
  void check_targets(tuf::Client& client, DoctorReport& report);
  std::string relative(const std::string& url) const;

  std::string url_;
  std::filesystem::path work_dir_;
  net::Fetcher& fetcher_;
  const Clock& clock_;
};

}  // namespace upkeep

// RepositoryReport: what a repository says about itself, for `upkeep info`:
// its signed facts (root, timestamp, snapshot and targets versions, the
// timestamp's expiry, the newest release of each app, platform and channel
// with its time, size, notes and modules) read through the TUF client, and
// beside them what the server's last reply said (its clock and software),
// which nothing signs.
//
// A module is one file of a release: its path, size and SHA-256 from the
// release's signed files.json, and the version the publisher read from it
// when it is a program file (ReleaseFacts::modules).
//
// read() runs a full TUF refresh in `trust_dir` (which must hold the root to
// start from, repository/repository_trust.h) and fetches each newest
// release's files.json, checked against its signed length and hashes. After
// success the report holds only verified facts (and `server`). After failure
// an Error was thrown: kVerification naming the role or file that did not
// verify, kNetwork from the fetcher. One thread at a time per fetcher.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/base/json.h"
#include "upkeep/net/fetcher.h"
#include "upkeep/platform/clock.h"
#include "upkeep/repository/release_facts.h"

namespace upkeep {

struct ModuleFacts {
  std::string path;
  uint64_t size = 0;
  std::string sha256;
  std::string version;  // "" when the publisher read none
  std::string link;     // a symlink's target; "" for a file
};

struct ReleaseSummary {
  ReleaseFacts facts;
  uint64_t package_size = 0;
  std::string package_sha256;
  std::vector<ModuleFacts> modules;  // sorted by path
};

struct RepositoryReport {
  std::string url;
  int64_t root_version = 0, timestamp_version = 0, snapshot_version = 0, targets_version = 0;
  std::string timestamp_expires;         // signed, RFC 3339 UTC
  std::string checked_at;                // this machine's clock when the metadata was checked
  std::vector<ReleaseSummary> releases;  // the newest per app, platform and channel; sorted
  net::ServerFacts server;               // unsigned: the reply to timestamp.json

  static RepositoryReport read(const std::string& repo_url, const std::filesystem::path& trust_dir,
                               net::Fetcher& fetcher, const Clock& clock = *SystemClock::instance());
  // {"url", "signed": {...}, "unsigned": {"server": {...}}}.
  Json to_json() const;
};

}  // namespace upkeep

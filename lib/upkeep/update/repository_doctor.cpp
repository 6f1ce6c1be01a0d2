#include "upkeep/update/repository_doctor.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/repository/cache_rules.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/repository/repository_trust.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/release_selector.h"

namespace upkeep {

namespace stdfs = std::filesystem;

namespace {

constexpr const char* kTimestampFix =
    "run `upkeep refresh-timestamp` now, and from a timer every 6 hours (docs/hosting.md, \"Refresh the timestamp\")";
constexpr const char* kSnapshotFix =
    "run `upkeep refresh-timestamp` (it re-signs snapshot and targets too once half their lifetime is gone, when "
    "their keys are in the key folder's online/), or publish again (`upkeep release`, `upkeep rollout`)";
constexpr const char* kRootFix = "sign a new root before this one expires: `upkeep keys rotate-root`";

std::string span(std::time_t seconds) {
  if (seconds < 0) return "already";
  if (seconds < 2 * 3600) return std::to_string(seconds / 60) + " min";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / 86400) + " d";
}

// What to do about a refresh that failed with `e`.
std::string refresh_fix(const Error& e) {
  const std::string m = e.what();
  if (m.find("expired at") != std::string::npos) {
    if (m.find("timestamp") != std::string::npos) return kTimestampFix;
    if (m.find("root") != std::string::npos && m.find("snapshot") == std::string::npos &&
        m.find("targets") == std::string::npos)
      return kRootFix;
    return kSnapshotFix;
  }
  if (e.code() == ErrorCode::kCredentials) return "the server wants credentials: pass --credentials FILE";
  if (e.code() == ErrorCode::kNetwork)
    return "make the server answer for metadata/: when timestamp.json names a file the server does not have, the "
           "upload was out of order or unfinished: upload targets/, then metadata/, timestamp.json last "
           "(docs/hosting.md, \"Upload order\")";
  return "serve the files exactly as `upkeep release` wrote them, uploaded whole and in order, and make sure no "
         "cache keeps timestamp.json or root.json (docs/hosting.md, \"Cache rules\")";
}

}  // namespace

RepositoryDoctor::RepositoryDoctor(std::string repo_url, stdfs::path work_dir, net::Fetcher& fetcher,
                                   const Clock& clock)
    : url_(std::move(repo_url)), work_dir_(std::move(work_dir)), fetcher_(fetcher), clock_(clock) {}

std::string RepositoryDoctor::relative(const std::string& url) const {
  return url.rfind(url_, 0) == 0 ? url.substr(url_.size()) : url;
}

DoctorReport RepositoryDoctor::examine(const DoctorOptions& options) {
  DoctorReport report;
  report.url = url_;
  const stdfs::path trust = work_dir_ / "trust";
  stdfs::create_directories(trust);
  tuf::Client client(trust, RepositoryLayout::metadata_url(url_), RepositoryLayout::targets_url(url_), fetcher_,
                     clock_);
  const bool verified = refresh(client, options, report);
  report.checked_at = tuf::format_time(verified ? client.update_start_time() : clock_.unix_now());
  if (verified) check_expiries(client, options, report);
  check_metadata_cache(client, report);
  if (verified && options.check_targets) check_targets(client, report);
  return report;
}

bool RepositoryDoctor::refresh(tuf::Client& client, const DoctorOptions& options, DoctorReport& report) {
  const stdfs::path trust = work_dir_ / "trust";
  try {
    const bool first_use = RepositoryTrust::start(trust, url_, options.trusted_root, fetcher_);
    client.refresh();
    report.pass("metadata", "metadata/",
                "root, timestamp, snapshot and targets verify (TUF client workflow, " +
                    std::string(first_use ? "root trusted on first use" : "pinned root") + ")");
    return true;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kNoSpace || e.code() == ErrorCode::kPermission) throw;
    spdlog::debug("doctor: refresh of {} failed: {}", url_, e.what());
    report.failure("metadata", "metadata/", std::string("clients cannot update: ") + e.what(), refresh_fix(e));
    return false;
  }
}

void RepositoryDoctor::check_expiries(const tuf::Client& client, const DoctorOptions& options,
                                      DoctorReport& report) const {
  struct Role {
    const char* name;
    std::time_t expires;
    std::chrono::seconds window;
    const char* fix;
  };
  const Role roles[] = {
      {"timestamp", client.timestamp_expires(), options.timestamp_window, kTimestampFix},
      {"snapshot", client.snapshot_expires(), options.snapshot_window, kSnapshotFix},
      {"targets", client.targets_expires(), options.targets_window, kSnapshotFix},
      {"root", client.root()->expires, options.root_window, kRootFix},
  };
  const std::time_t now = client.update_start_time();
  for (const Role& r : roles) {
    const std::time_t left = r.expires - now;
    const std::string said = "expires " + tuf::format_time(r.expires) + " (in " + span(left) + ")";
    if (left < r.window.count())
      report.failure("expiry", r.name,
                     said + ", within the " + span(r.window.count()) +
                         " warning window: when it passes, every client stops updating (exit 5, expired)",
                     r.fix);
    else
      report.pass("expiry", r.name, said);
  }
}

void RepositoryDoctor::check_cache(const std::string& url, DoctorReport& report) const {
  const net::ServerFacts f = fetcher_.server_facts(url);
  if (f.url.empty()) return;  // file:// or sftp://: no cache in between
  const std::string rel = relative(url);
  const CacheKind kind = CacheRules::kind_of(rel);
  const std::string fix = std::string("serve it with \"Cache-Control: ") + CacheRules::recommended(kind) +
                          "\" (docs/hosting.md: nginx, Apache, object storage, CDN)";
  const std::optional<std::string> problem = CacheRules::problem(kind, f.cache_control, f.expires);
  if (!problem)
    report.pass("cache", rel, "Cache-Control \"" + f.cache_control + "\"");
  else if (kind == CacheKind::kImmutable)
    report.warn("cache", rel, *problem, fix);
  else
    report.failure("cache", rel, *problem, fix);
}

void RepositoryDoctor::check_metadata_cache(const tuf::Client& client, DoctorReport& report) {
  const std::string md = RepositoryLayout::metadata_url(url_);
  check_cache(md + "timestamp.json", report);
  if (!client.root()) return;
  // root.json is the publisher's unversioned copy: clients never need it, but a cache must not keep it either.
  try {
    if (fetcher_.get_if_exists(md + "root.json", RepositoryTrust::kMaxRootBytes)) check_cache(md + "root.json", report);
  } catch (const Error& e) {
    spdlog::debug("doctor: {}root.json: {}", md, e.what());
  }
  check_cache(md + RepositoryLayout::root_file_name(client.root()->version), report);
  if (!client.root()->consistent_snapshot) return;
  check_cache(md + std::to_string(client.snapshot_version()) + ".snapshot.json", report);
  check_cache(md + std::to_string(client.targets_version()) + ".targets.json", report);
}

void RepositoryDoctor::check_targets(tuf::Client& client, DoctorReport& report) {
  const stdfs::path dir = work_dir_ / "targets";
  stdfs::create_directories(dir);
  const std::vector<ReleaseInfo> releases = newest_releases(client.targets());
  if (releases.empty()) report.warn("target", "targets/", "no release is published", "publish one: `upkeep release`");
  size_t n = 0;  // one file name per target: a .part left by a failure is never resumed for another
  for (const ReleaseInfo& r : releases) {
    const ReleaseFacts facts = ReleaseFacts::from_json(r.package.custom);
    const std::string line = facts.app_id + " " + r.version + " (" + facts.platform + ", " + r.channel + ")";
    std::vector<const tuf::TargetFile*> files{&r.manifest, &r.package};
    if (r.delta) files.push_back(&*r.delta);
    for (const tuf::TargetFile* t : files) {
      const std::string url = client.target_url(*t);
      const std::string rel = relative(url);
      try {
        if (t == &r.manifest) {
          const std::string text = fetcher_.get(url, t->length);
          tuf::check_length_and_hashes(text, t->length, t->hashes, rel);
          check_cache(url, report);
        } else {
          const stdfs::path dest = dir / std::to_string(++n);
          fetcher_.download(url, dest, t->length, t->sha256(), nullptr);
          stdfs::remove(dest);
        }
        report.pass("target", rel, line + ": " + std::to_string(t->length) + " bytes, SHA-256 as signed");
      } catch (const Error& e) {
        if (e.code() == ErrorCode::kNoSpace || e.code() == ErrorCode::kPermission) throw;
        // A 404 is a network error naming its status; a SHA-256 that differs is a
        // verification error (and its hashes may hold "404" themselves).
        const bool missing =
            e.code() == ErrorCode::kNetwork && std::string(e.what()).find(": HTTP 404 ") != std::string::npos;
        report.failure("target", rel, line + ": " + e.what(),
                       missing ? "upload repo/" + rel + " (targets go up before metadata: docs/hosting.md)"
                               : "upload repo/" + rel + " again, and purge it from any cache in front of the origin");
      }
    }
  }
}

}  // namespace upkeep

#include "upkeep/update/repository_report.h"

#include <algorithm>

#include "upkeep/base/error.h"
#include "upkeep/install/manifest.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/release_selector.h"

namespace upkeep {

namespace {

// The release's files with their signed sizes and hashes, and the versions the publisher read.
std::vector<ModuleFacts> modules_of(const ReleaseInfo& r, const ReleaseFacts& facts, const tuf::Client& client,
                                    net::Fetcher& fetcher) {
  const std::string text = fetcher.get(client.target_url(r.manifest), r.manifest.length);
  tuf::check_length_and_hashes(text, r.manifest.length, r.manifest.hashes, r.manifest.path);
  const FileManifest manifest = FileManifest::parse(text, r.manifest.path);
  std::vector<ModuleFacts> out;
  for (const FileEntry& f : manifest.files()) {
    ModuleFacts m{f.path, f.size, f.sha256, "", f.link};
    if (auto it = facts.modules.find(f.path); it != facts.modules.end()) m.version = it->second;
    out.push_back(std::move(m));
  }
  return out;
}

Json module_json(const ModuleFacts& m) {
  Json j = Json::object();
  j["path"] = m.path;
  if (!m.link.empty()) {
    j["link"] = m.link;
    return j;
  }
  j["size"] = m.size;
  j["sha256"] = m.sha256;
  if (!m.version.empty()) j["version"] = m.version;
  return j;
}

Json release_json(const ReleaseSummary& r) {
  Json j = Json::object();
  j["app_id"] = r.facts.app_id;
  j["platform"] = r.facts.platform;
  j["channel"] = r.facts.channel;
  j["version"] = r.facts.version;
  j["released"] = r.facts.released;
  j["notes"] = r.facts.notes;
  j["critical"] = r.facts.critical;
  j["rollout"] = r.facts.rollout;
  j["package_size"] = r.package_size;
  j["package_sha256"] = r.package_sha256;
  Json modules = Json::array();
  for (const auto& m : r.modules) modules.push_back(module_json(m));
  j["modules"] = std::move(modules);
  return j;
}

}  // namespace

RepositoryReport RepositoryReport::read(const std::string& repo_url, const std::filesystem::path& trust_dir,
                                        net::Fetcher& fetcher, const Clock& clock) {
  tuf::Client client(trust_dir, RepositoryLayout::metadata_url(repo_url), RepositoryLayout::targets_url(repo_url),
                     fetcher, clock);
  client.refresh();
  RepositoryReport report;
  report.url = repo_url;
  // The server's own word on timestamp.json (its clock, when it changed): every refresh fetches it (TUF 5.4).
  report.server = fetcher.server_facts(RepositoryLayout::metadata_url(repo_url) + "timestamp.json");
  report.root_version = client.root()->version;
  report.timestamp_version = client.timestamp_version();
  report.snapshot_version = client.snapshot_version();
  report.targets_version = client.targets_version();
  report.timestamp_expires = tuf::format_time(client.timestamp_expires());
  report.checked_at = tuf::format_time(client.update_start_time());
  const std::vector<tuf::TargetFile> targets = client.targets();
  for (const ReleaseInfo& newest : newest_releases(targets)) {
    ReleaseSummary s;
    s.facts = ReleaseFacts::from_json(newest.package.custom);
    s.package_size = newest.package.length;
    s.package_sha256 = newest.package.sha256();
    s.modules = in_context(newest.manifest.path, [&] { return modules_of(newest, s.facts, client, fetcher); });
    report.releases.push_back(std::move(s));
  }
  return report;
}

Json RepositoryReport::to_json() const {
  Json metadata = Json::object();
  metadata["root_version"] = root_version;
  metadata["timestamp_version"] = timestamp_version;
  metadata["snapshot_version"] = snapshot_version;
  metadata["targets_version"] = targets_version;
  metadata["timestamp_expires"] = timestamp_expires;
  Json signed_facts = Json::object();
  signed_facts["metadata"] = std::move(metadata);
  Json list = Json::array();
  for (const auto& r : releases) list.push_back(release_json(r));
  signed_facts["releases"] = std::move(list);
  Json srv = Json::object();
  srv["answered"] = server.url;
  srv["date"] = server.date;
  srv["last_modified"] = server.last_modified;
  srv["software"] = server.server;
  Json unsigned_facts = Json::object();
  unsigned_facts["server"] = std::move(srv);
  unsigned_facts["checked_at"] = checked_at;
  Json j = Json::object();
  j["url"] = url;
  j["signed"] = std::move(signed_facts);
  j["unsigned"] = std::move(unsigned_facts);
  return j;
}

}  // namespace upkeep

#include "upkeep/watch/repository_release.h"

#include <spdlog/spdlog.h>

#include <map>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/build_version.h"
#include "upkeep/publish/release_history.h"
#include "upkeep/publish/release_program.h"
#include "upkeep/repository/release_facts.h"

namespace upkeep::watch {

namespace {

// The newest release of `app_id` for `platform` the signed targets list.
std::optional<Version> newest_release(const tuf::TargetsMetadata& targets, const std::string& app_id,
                                      const std::string& platform) {
  std::optional<Version> newest;
  for (const auto& [path, t] : targets.targets) {
    if (!ReleaseFacts::names_release(t.custom)) continue;
    const ReleaseFacts facts = ReleaseFacts::read(t.custom);
    if (facts.app_id != app_id || facts.platform != platform) continue;
    auto v = Version::parse(facts.version);
    if (v && (!newest || *v > *newest)) newest = v;
  }
  return newest;
}

}  // namespace

std::string next_patch_version(const Version& v) {
  std::vector<uint64_t> n = v.numbers();
  while (n.size() < 3) n.push_back(0);
  ++n.back();
  std::string out;
  for (size_t i = 0; i < n.size(); ++i) out += (i ? "." : "") + std::to_string(n[i]);
  return out;
}

VersionSource version_from_file(std::string rel_path) {
  publish::BuildVersion::check_relative(rel_path);
  return [rel_path](const std::filesystem::path& build_dir) {
    return publish::BuildVersion::read(build_dir, rel_path).version;
  };
}

size_t changed_files(const FileManifest& before, const FileManifest& after) {
  std::map<std::string, const FileEntry*> old;
  for (const FileEntry& f : before.files()) old[f.path] = &f;
  size_t changed = 0;
  for (const FileEntry& f : after.files()) {
    auto it = old.find(f.path);
    if (it == old.end()) {
      ++changed;
      continue;
    }
    const FileEntry& o = *it->second;
    if (o.sha256 != f.sha256 || o.mode != f.mode || o.link != f.link || o.size != f.size) ++changed;
    old.erase(it);
  }
  return changed + old.size();  // what is left was removed
}

RepositoryRelease::RepositoryRelease(std::filesystem::path repo_dir, const publish::KeyStore& keys,
                                     publish::Expiries expiries, ReleaseSettings settings, VersionSource version_from,
                                     const Clock& clock)
    : repo_dir_(std::move(repo_dir)),
      keys_(keys),
      expiries_(expiries),
      settings_(std::move(settings)),
      version_from_(std::move(version_from)),
      clock_(clock) {
  if (settings_.info.app_id.empty()) settings_.info.app_id = keys_.app_id();
  Version::parse_or_throw(settings_.first_version, "--version");
}

bool RepositoryRelease::run(WatchRound& round) {
  publish::RepositoryPublisher publisher(repo_dir_, keys_, expiries_, clock_);
  publish::ReleaseInfo info = settings_.info;
  const auto newest = newest_release(publisher.current_targets(), info.app_id, info.platform);
  const std::string next = newest ? next_patch_version(*newest) : settings_.first_version;

  // The build as it would be released, to compare with the newest release
  // (hashing the folder twice is the price of never publishing a duplicate).
  const auto program =
      publish::ReleaseProgram::declare(round.build_dir, settings_.program, settings_.args, settings_.health);
  const FileManifest build = FileManifest::from_directory(round.build_dir, next, {}, program.launch);
  round.repo_dir = repo_dir_;
  round.file_count = build.files().size();
  round.changed = round.file_count;  // against nothing: every file is new
  if (newest) {
    auto prior = publish::previous_releases(repo_dir_, publisher.current_targets(), info.app_id, info.platform,
                                            Version::parse_or_throw(next), 1);
    // A newest release whose files.json was pruned compares as nothing.
    if (!prior.empty() && prior.front().version == newest->str())
      round.changed = changed_files(prior.front().manifest, build);
  }
  if (newest && round.changed == 0) {
    round.version = newest->str();
    Json facts = Json::object();
    facts["version"] = round.version;
    facts["files"] = static_cast<uint64_t>(round.file_count);
    round.steps.push_back(
        {name(), "no change since " + round.version + " (" + std::to_string(round.file_count) + " files)", facts});
    return false;
  }

  info.version = version_from_ ? version_from_(round.build_dir) : next;
  info.launch = program.launch;
  const publish::PublishedRelease r = publisher.publish_release(round.build_dir, info);
  round.released = true;
  round.version = info.version;
  round.file_count = r.file_count;
  round.timestamp_version = publisher.current_timestamp().version;
  Json facts = Json::object();
  facts["version"] = round.version;
  facts["files"] = static_cast<uint64_t>(round.file_count);
  facts["changed"] = static_cast<uint64_t>(round.changed);
  facts["package"] = r.package_target;
  facts["timestamp_version"] = round.timestamp_version;
  round.steps.push_back({name(),
                         "released " + round.version + ": " + std::to_string(round.file_count) + " files, " +
                             std::to_string(round.changed) + " changed",
                         facts});
  return true;
}

}  // namespace upkeep::watch

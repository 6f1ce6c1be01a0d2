#include "upkeep/update/release_selector.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <tuple>

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/policy/update_settings.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/update/rollout.h"

namespace upkeep {

std::optional<ReleaseInfo> select_release(const std::vector<tuf::TargetFile>& targets, const SelectionCriteria& c) {
  std::map<std::string, const tuf::TargetFile*> by_path;
  for (const auto& t : targets) by_path[t.path] = &t;
  std::optional<Version> installed = c.installed_version.empty() ? std::nullopt : Version::parse(c.installed_version);

  std::optional<ReleaseInfo> best;
  std::optional<Version> best_version;
  bool installed_allowed = false;  // the installed version is one of the releases offered to us
  for (const auto& t : targets) {
    if (!ReleaseFacts::names_release(t.custom)) continue;
    try {
      const ReleaseFacts facts = ReleaseFacts::from_json(t.custom);
      if (facts.app_id != c.app_id || facts.platform != c.platform) continue;
      ReleaseInfo r;
      r.version = facts.version;
      r.channel = facts.channel;
      r.notes = facts.notes;
      r.critical = facts.critical;
      r.rollout = facts.rollout;
      auto v = Version::parse(r.version);
      if (!v) {
        spdlog::warn("skipping target {}: '{}' is not a version", t.path, r.version);
        continue;
      }
      if (c.exact_version) {
        if (r.version != *c.exact_version) continue;
      } else {
        if (r.channel != c.channel) continue;
        if (!version_matches_prefix(r.version, c.version_prefix)) continue;
        if (installed && v->compare(*installed) == 0) installed_allowed = true;
        if (c.refused_versions.count(r.version)) continue;
        if (installed && v->compare(*installed) == 0) continue;
        if (c.rollout_bucket && !r.critical && !Rollout::admits(*c.rollout_bucket, r.rollout)) {
          spdlog::info("release {} is rolled out to {}% of installations, not yet to this one", r.version, r.rollout);
          continue;
        }
      }
      auto m = by_path.find(facts.manifest);
      if (m == by_path.end()) {
        spdlog::warn("skipping release {}: its manifest target {} is not listed", r.version, facts.manifest);
        continue;
      }
      r.package = t;
      r.manifest = *m->second;
      if (!facts.delta.empty()) {
        auto d = by_path.find(facts.delta);
        if (d != by_path.end())
          r.delta = *d->second;
        else  // still installable from its package
          spdlog::warn("release {}: its delta target {} is not listed; using the package", r.version, facts.delta);
      }
      if (!best_version || best_version->compare(*v) < 0) {
        best_version = *v;
        best = std::move(r);
      }
    } catch (const Error& e) {
      spdlog::warn("skipping target {}: {}", t.path, e.what());
    }
  }
  if (!best || !installed || c.exact_version || best_version->compare(*installed) > 0) return best;
  // Older than the installed version: a downgrade, only where policy allows it.
  bool outside_prefix = !c.version_prefix.empty() && !version_matches_prefix(c.installed_version, c.version_prefix);
  if ((c.rollback_to_prefix && outside_prefix) || (c.allow_downgrade && !installed_allowed)) {
    best->downgrade = true;
    return best;
  }
  return std::nullopt;
}

std::string sole_app_id(const std::vector<tuf::TargetFile>& targets) {
  std::set<std::string> ids;
  for (const auto& t : targets)
    if (auto id = ReleaseFacts::app_id_in(t.custom)) ids.insert(*id);
  if (ids.empty()) fail(ErrorCode::kNotFound, "the repository has no releases yet");
  if (ids.size() > 1) fail(ErrorCode::kUsage, "the repository holds several applications; choose one with --app-id");
  return *ids.begin();
}

std::vector<ReleaseInfo> newest_releases(const std::vector<tuf::TargetFile>& targets) {
  std::set<std::tuple<std::string, std::string, std::string>> lines;  // app, platform, channel
  for (const auto& t : targets) {
    if (!ReleaseFacts::names_release(t.custom)) continue;
    try {
      const ReleaseFacts f = ReleaseFacts::from_json(t.custom);
      lines.emplace(f.app_id, f.platform, f.channel);
    } catch (const Error& e) {
      spdlog::warn("{}: release facts skipped: {}", t.path, e.what());  // never offered either
    }
  }
  std::vector<ReleaseInfo> out;
  for (const auto& [app, platform, channel] : lines) {
    SelectionCriteria c;
    c.app_id = app;
    c.platform = platform;
    c.channel = channel;
    if (std::optional<ReleaseInfo> newest = select_release(targets, c)) out.push_back(std::move(*newest));
  }
  return out;
}

}  // namespace upkeep

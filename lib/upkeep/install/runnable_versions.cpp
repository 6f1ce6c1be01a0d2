#include "upkeep/install/runnable_versions.h"

#include <algorithm>
#include <set>

#include "upkeep/base/error.h"
#include "upkeep/base/version.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"

namespace upkeep {
namespace stdfs = std::filesystem;

std::string RunnableVersions::why_not(const std::string& version) const {
  std::error_code ec;
  if (!stdfs::is_directory(layout_.version_dir(version), ec))
    return "its folder " + layout_.version_dir(version).string() + " is missing";
  try {
    const stdfs::path file = layout_.manifest_file(version);
    if (!stdfs::exists(file, ec)) return "its manifest " + file.string() + " is missing";
    FileManifest::parse(fs::read_file(file), file.string())
        .verify_directory(layout_.version_dir(version), FileManifest::Depth::kQuick);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

std::string RunnableVersions::Pick::skipped_text() const {
  std::string s;
  for (const auto& one : skipped) s += (s.empty() ? "" : "; ") + one;
  return s;
}

RunnableVersions::Pick RunnableVersions::first_of(const std::vector<std::string>& candidates) const {
  Pick pick;
  std::set<std::string> seen;
  for (const auto& v : candidates) {
    if (!seen.insert(v).second) continue;
    std::string why = why_not(v);
    if (why.empty()) {
      pick.version = v;
      return pick;
    }
    pick.skipped.push_back(v + ": " + why);
  }
  return pick;
}

std::vector<std::string> RunnableVersions::good_versions() const {
  std::vector<std::pair<Version, std::string>> good;
  for (const auto& r : store_.in_state(VersionState::kGood)) {
    auto v = Version::parse(r.version);
    if (v && stdfs::is_directory(layout_.version_dir(r.version))) good.emplace_back(*v, r.version);
  }
  std::sort(good.begin(), good.end(), [](const auto& a, const auto& b) { return b.first.compare(a.first) < 0; });
  std::vector<std::string> out;
  for (auto& [v, name] : good) out.push_back(name);
  return out;
}

std::vector<std::string> RunnableVersions::rollback_candidates(const std::string& current,
                                                               const std::string& previous) const {
  std::vector<std::string> out;
  if (!previous.empty() && previous != current) out.push_back(previous);
  auto cur = Version::parse(current);
  for (const auto& v : good_versions())
    if (v != previous && v != current && (!cur || Version::parse(v)->compare(*cur) < 0)) out.push_back(v);
  return out;
}

}  // namespace upkeep

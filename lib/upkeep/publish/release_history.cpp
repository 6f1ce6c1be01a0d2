#include "upkeep/publish/release_history.h"

#include <algorithm>
#include <optional>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/fs.h"
#include "upkeep/repository/release_facts.h"
#include "upkeep/repository/repository_layout.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kMaxManifestBytes = 64u << 20;

// Where a target lives under consistent snapshots: <dir>/<sha256>.<name>.
stdfs::path stored_target(const stdfs::path& repo_dir, const tuf::TargetFile& t) {
  return RepositoryLayout::targets_dir(repo_dir) / RepositoryLayout::consistent_name(t.path, t.sha256());
}

}  // namespace

std::vector<PriorRelease> previous_releases(const stdfs::path& repo_dir, const tuf::TargetsMetadata& targets,
                                            const std::string& app_id, const std::string& platform,
                                            const Version& before, size_t limit) {
  struct Found {
    Version version;
    const tuf::TargetFile* package;
    const tuf::TargetFile* manifest;
  };
  std::vector<Found> found;
  for (const auto& [path, t] : targets.targets) {
    if (!t.custom.is_object()) continue;
    const ReleaseFacts facts = ReleaseFacts::read(t.custom);
    if (facts.app_id != app_id || facts.platform != platform) continue;
    auto manifest = targets.targets.find(facts.manifest);
    auto version = Version::parse(facts.version);
    if (manifest == targets.targets.end() || !version || !(*version < before)) continue;
    found.push_back({*version, &t, &manifest->second});
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.version > b.version; });
  if (found.size() > limit) found.resize(limit);

  std::vector<PriorRelease> out;
  for (const Found& f : found) {
    const stdfs::path manifest_file = stored_target(repo_dir, *f.manifest);
    if (!stdfs::exists(manifest_file)) continue;
    const std::string text = fs::read_file(manifest_file, kMaxManifestBytes);
    if (text.size() != f.manifest->length || sha256_hex(text) != f.manifest->sha256())
      fail(ErrorCode::kVerification, manifest_file.string() + " does not match the length and hash that " +
                                         f.manifest->path + " has in the signed targets: the repository is damaged");
    PriorRelease p{f.version.str(), FileManifest::parse(text, manifest_file.string()), {}};
    const stdfs::path package_file = stored_target(repo_dir, *f.package);
    if (stdfs::exists(package_file)) p.package_file = package_file;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace upkeep::publish

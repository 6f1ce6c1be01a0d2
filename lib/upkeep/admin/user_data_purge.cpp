#include "upkeep/admin/user_data_purge.h"

#include <spdlog/spdlog.h>

#include "upkeep/platform/fs.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

namespace {

// `folder` is `path` or one of its parents (lexically, both absolute and normal).
bool holds(const stdfs::path& folder, const stdfs::path& path) {
  const stdfs::path f = folder.lexically_normal(), p = path.lexically_normal();
  auto fi = f.begin(), pi = p.begin();
  for (; fi != f.end(); ++fi, ++pi) {
    if (fi->empty() && std::next(fi) == f.end()) return true;  // a trailing '/'
    if (pi == p.end() || *fi != *pi) return false;
  }
  return true;
}

}  // namespace

UserDataPurge UserDataPurge::by_rules(const std::string& app_id, InstallScope scope, const InstallPaths::Env& env) {
  const InstallPaths paths = InstallPaths::resolve(scope, app_id, {}, env);
  return {paths.user_data, {paths.root}};
}

std::vector<stdfs::path> UserDataPurge::run(std::string& problem) const {
  std::vector<stdfs::path> removed;
  for (const auto& d : folders) {
    std::error_code ec;
    if (!stdfs::exists(stdfs::symlink_status(d, ec))) continue;
    bool protects_root = false;
    for (const auto& root : roots) protects_root = protects_root || holds(d, root);
    if (protects_root) {
      problem += (problem.empty() ? "" : "; ") + d.string() + " holds an install root: not removed";
      continue;
    }
    fs::remove_tree(d);
    spdlog::info("removed user data {}", d.string());
    removed.push_back(d);
  }
  return removed;
}

}  // namespace upkeep::admin

#include "upkeep/repository/repository_layout.h"

#include "upkeep/tuf/role_names.h"

namespace upkeep {

std::string RepositoryLayout::root_file_name(int64_t version) { return std::to_string(version) + ".root.json"; }

std::string RepositoryLayout::consistent_name(const std::string& path, const std::string& sha256) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return sha256 + "." + path;
  return path.substr(0, slash + 1) + sha256 + "." + path.substr(slash + 1);
}

std::string RepositoryLayout::metadata_url(const std::string& repo_url) { return repo_url + kMetadataDir + "/"; }

std::string RepositoryLayout::targets_url(const std::string& repo_url) { return repo_url + kTargetsDir + "/"; }

std::string RepositoryLayout::root_url(const std::string& repo_url, int64_t version) {
  return metadata_url(repo_url) + root_file_name(version);
}

std::string RepositoryLayout::target_url(const std::string& repo_url, const std::string& rel) {
  return targets_url(repo_url) + tuf::percent_encode(rel, "/");
}

std::filesystem::path RepositoryLayout::metadata_dir(const std::filesystem::path& repo_dir) {
  return repo_dir / kMetadataDir;
}

std::filesystem::path RepositoryLayout::targets_dir(const std::filesystem::path& repo_dir) {
  return repo_dir / kTargetsDir;
}

}  // namespace upkeep

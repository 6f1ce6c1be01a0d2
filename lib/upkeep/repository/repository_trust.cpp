#include "upkeep/repository/repository_trust.h"

#include "upkeep/platform/fs.h"
#include "upkeep/repository/repository_layout.h"

namespace upkeep {

bool RepositoryTrust::start(const std::filesystem::path& dir, const std::string& repo_url,
                            const std::optional<std::filesystem::path>& trusted_root, net::Fetcher& fetcher) {
  const std::string root = trusted_root ? fs::read_file(*trusted_root, kMaxRootBytes)
                                        : fetcher.get(RepositoryLayout::root_url(repo_url, 1), kMaxRootBytes);
  fs::create_directories_durable(dir);
  fs::write_file_atomic(dir / "root.json", root);
  return !trusted_root;
}

}  // namespace upkeep

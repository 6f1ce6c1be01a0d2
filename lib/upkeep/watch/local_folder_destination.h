// LocalFolderDestination: a PublishDestination that is a folder on this
// machine (a web server's docroot, an NFS mount). Files are written with
// fs::File and synced before the rename; the rename is made durable
// (fs::rename_durable). One thread at a time.
#pragma once

#include <filesystem>

#include "upkeep/watch/publish_destination.h"

namespace upkeep::watch {

class LocalFolderDestination : public PublishDestination {
 public:
  explicit LocalFolderDestination(std::filesystem::path root) : root_(std::move(root)) {}

  std::string describe() const override { return root_.string(); }
  std::map<std::string, uint64_t> list_files() override;
  std::optional<std::string> read_file(const std::string& path, uint64_t max_bytes) override;
  void put_file(const std::filesystem::path& from, const std::string& path) override;
  void rename(const std::string& from, const std::string& to) override;
  void remove(const std::string& path) override;

 private:
  std::filesystem::path root_;
};

}  // namespace upkeep::watch

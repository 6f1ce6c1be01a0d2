#include "upkeep/watch/local_folder_destination.h"

#include <filesystem>
#include <fstream>

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

namespace upkeep::watch {

namespace stdfs = std::filesystem;

std::map<std::string, uint64_t> LocalFolderDestination::list_files() {
  std::map<std::string, uint64_t> files;
  std::error_code ec;
  if (!stdfs::exists(root_, ec)) return files;
  for (const fs::TreeEntry& e : fs::list_tree(root_)) {
    if (e.type != fs::TreeEntry::Type::kFile) continue;
    const uint64_t size = stdfs::file_size(root_ / e.path, ec);
    if (!ec) files[e.path] = size;
  }
  return files;
}

std::optional<std::string> LocalFolderDestination::read_file(const std::string& path, uint64_t max_bytes) {
  std::error_code ec;
  if (!stdfs::exists(root_ / path, ec)) return std::nullopt;
  return fs::read_file(root_ / path, max_bytes);
}

void LocalFolderDestination::put_file(const stdfs::path& from, const std::string& path) {
  const stdfs::path to = root_ / path;
  std::error_code ec;
  stdfs::create_directories(to.parent_path(), ec);
  if (ec) fs::fail_errno("cannot create the folder", to.parent_path(), ec.value());
  std::ifstream in(from, std::ios::binary);
  if (!in) fs::fail_errno("cannot read", from, errno);
  fs::File out(to);
  out.truncate(0);
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    if (in.gcount() > 0) out.write(buf, static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) fail(ErrorCode::kFailure, "cannot read " + from.string() + " to publish it as " + to.string());
  out.sync();
  out.close();
}

void LocalFolderDestination::rename(const std::string& from, const std::string& to) {
  fs::rename_durable(root_ / from, root_ / to);
}

void LocalFolderDestination::remove(const std::string& path) {
  std::error_code ec;
  stdfs::remove(root_ / path, ec);
}

}  // namespace upkeep::watch

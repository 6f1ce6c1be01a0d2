#include "upkeep/publish/undo.h"

#include <system_error>

#include "upkeep/platform/fs.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {
constexpr uint64_t kMaxRestoreBytes = 64u << 20;  // metadata files only
}  // namespace

Undo::~Undo() {
  if (committed_) return;
  std::error_code ec;
  for (auto it = restores_.rbegin(); it != restores_.rend(); ++it) {
    try {
      fs::write_file_atomic(it->first, it->second);
    } catch (const std::exception&) {  // best effort: the original error is what matters
    }
  }
  for (auto it = files_.rbegin(); it != files_.rend(); ++it) stdfs::remove(*it, ec);
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) stdfs::remove(*it, ec);  // only when empty
}

void Undo::file(const stdfs::path& f) {
  if (!stdfs::exists(f)) files_.push_back(f);
}

void Undo::write(const stdfs::path& f, const std::string& data) {
  if (stdfs::exists(f))
    restores_.emplace_back(f, fs::read_file(f, kMaxRestoreBytes));
  else
    files_.push_back(f);
  fs::write_file_atomic(f, data);
}

void Undo::make_dirs(const stdfs::path& base, const stdfs::path& rel) {
  stdfs::path p = base;
  for (const auto& part : rel) {
    p /= part;
    if (!stdfs::exists(p)) {
      fs::create_directories_durable(p);
      dirs_.push_back(p);
    }
  }
}

void Undo::adopt(const std::vector<stdfs::path>& files, const std::vector<stdfs::path>& dirs) {
  files_.insert(files_.end(), files.begin(), files.end());
  dirs_.insert(dirs_.end(), dirs.begin(), dirs.end());
}

}  // namespace upkeep::publish

#include "upkeep/install/layout.h"

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/privileges.h"

namespace upkeep {

bool Layout::writable_by_this_process() const {
  // The folder too: SQLite creates its -wal and -shm files beside state.db.
  std::error_code ec;
  for (const std::filesystem::path& p : {root_, lock_file(), state_db()})
    if (std::filesystem::exists(p, ec) && !fs::can_write(p)) return false;
  return true;
}

void Layout::fail_not_writable(const std::string& action) const {
  if (running_as_administrator())
    fail(ErrorCode::kPermission, action + " changes " + root_.string() +
                                     ", which cannot be written even as root (a read-only file system or folder)");
  fail(ErrorCode::kNeedsRoot, action + " changes " + root_.string() +
                                  ", which this user cannot write (a per-machine install: run it as root)");
}

std::optional<std::string> Layout::current_version() const {
  auto target = fs::read_symlink(current_link());
  if (!target) return std::nullopt;
  auto it = target->begin();
  if (it == target->end() || *it != "versions") return std::nullopt;
  ++it;
  if (it == target->end()) return std::nullopt;
  std::string v = it->string();
  if (++it != target->end() || v.empty() || v == "." || v == "..") return std::nullopt;
  return v;
}

void Layout::switch_current(const std::string& v) const {
  fs::replace_symlink(current_link(), std::filesystem::path("versions") / v);
}

std::optional<std::string> Layout::download_version(const std::string& file_name) {
  for (std::string_view suffix : {".package.zip.part", ".package.zip", ".delta"}) {
    if (file_name.size() > suffix.size() &&
        file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return file_name.substr(0, file_name.size() - suffix.size());
  }
  return std::nullopt;
}

}  // namespace upkeep

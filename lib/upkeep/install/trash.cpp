#include "upkeep/install/trash.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <random>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/platform/detached_run.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {

// Long enough for another emptier's tree of many thousand files; a detached
// emptier waits without anyone waiting for it.
constexpr std::chrono::hours kLockWait{6};

std::string unique_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() % 1000000000ull);
}

}  // namespace

void Trash::move_in(const stdfs::path& path) const {
  std::error_code ec;
  if (stdfs::symlink_status(path, ec).type() == stdfs::file_type::not_found) return;
  fs::create_directories_durable(layout_.trash_dir());
  stdfs::path to = layout_.trash_dir() / (path.filename().string() + "." + unique_suffix());
  stdfs::rename(path, to, ec);
  if (ec == std::errc::cross_device_link) {
    // A folder mounted from another file system (staging/, say): no rename
    // reaches the trash, so it is deleted here and now.
    spdlog::info("removing {} (on another file system than the trash)", path.string());
    fs::remove_tree(path);
    return;
  }
  if (ec) fs::fail_errno("cannot move into the trash", path, ec.value());
  fs::fsync_dir(layout_.trash_dir());
  fs::fsync_dir(path.parent_path());
  spdlog::info("moved {} into the trash", path.string());
}

bool Trash::is_empty() const {
  std::error_code ec;
  return stdfs::directory_iterator(layout_.trash_dir(), ec) == stdfs::directory_iterator();
}

size_t Trash::empty() const {
  if (is_empty()) return 0;
  auto lock = InstallLock::acquire(layout_.trash_lock_file(), kLockWait);
  size_t removed = 0;
  // Again until nothing is left: a clean-up may move an entry in meanwhile.
  for (bool progress = true; progress;) {
    progress = false;
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(layout_.trash_dir(), ec)) {
      try {
        fs::remove_tree(e.path());
        ++removed;
        progress = true;
      } catch (const Error& err) {
        spdlog::warn("cannot empty the trash: {} (left for the next time)", err.what());
      }
    }
  }
  return removed;
}

void Trash::empty_in_background(const stdfs::path& launcher) const {
  if (is_empty()) return;
  process::SpawnOptions spawn;
  spawn.argv = {launcher.string(), "--upkeep-empty-trash"};
  spawn.env = process::current_environment();
  std::error_code ec;
  stdfs::create_directories(layout_.logs_dir(), ec);
  DetachedRun run(spawn, layout_.logs_dir() / "trash.log");  // not waited for: it goes on alone
  spdlog::info("emptying the trash in the background (pid {})", run.pid());
}

}  // namespace upkeep

#include "upkeep/install/temp_sweeper.h"

#include <spdlog/spdlog.h>

#include "upkeep/platform/process.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

long long TempSweeper::writer_pid(const std::string& name) {
  const size_t at = name.rfind(".tmp-");
  if (at == std::string::npos || at == 0) return 0;
  const std::string rest = name.substr(at + 5);
  const size_t dash = rest.find('-');
  if (dash == std::string::npos) return 0;
  const std::string pid = rest.substr(0, dash), n = rest.substr(dash + 1);
  if (!all_digits(pid) || !all_digits(n) || pid.size() > 9) return 0;
  return std::stoll(pid);
}

int TempSweeper::sweep(stdfs::file_time_type older_than) const {
  int removed = 0;
  const long long self = process::current_pid();
  for (const stdfs::path& dir : {layout_.root(), layout_.trust_dir(), layout_.manifests_dir()}) {
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      const long long pid = writer_pid(name);
      if (pid <= 0 || pid == self || process::is_alive(pid)) continue;
      std::error_code fec;
      auto when = stdfs::symlink_status(e.path(), fec).type() == stdfs::file_type::symlink
                      ? older_than -
                            stdfs::file_time_type::duration(1)  // a link's own time is not portable: its writer is gone
                      : stdfs::last_write_time(e.path(), fec);
      if (fec || when >= older_than) continue;
      if (stdfs::remove(e.path(), fec)) {
        ++removed;
        spdlog::info("removed {}, left by an interrupted write of process {}", e.path().string(), pid);
      } else if (fec) {
        spdlog::warn("could not remove {}: {}", e.path().string(), fec.message());
      }
    }
  }
  return removed;
}

}  // namespace upkeep

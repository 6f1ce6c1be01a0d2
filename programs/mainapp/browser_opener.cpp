#include "browser_opener.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "upkeep/platform/process.h"

namespace upkeep {

namespace {

bool has_graphical_session() {
  for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY"}) {
    const char* v = std::getenv(name);
    if (v && *v) return true;
  }
  return false;
}

// `name` found on PATH (execve does not search it); "" when it is not there.
std::string on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

}  // namespace

bool open_in_browser(const std::string& url) {
  if (!has_graphical_session()) {
    spdlog::info("no graphical session (DISPLAY, WAYLAND_DISPLAY unset): not opening a browser; web UI at {}", url);
    return false;
  }
  std::string xdg_open = on_path("xdg-open");
  if (xdg_open.empty()) {
    spdlog::warn("xdg-open is not installed (not on PATH): open the web UI yourself at {}", url);
    return false;
  }
  try {
    process::SpawnOptions spawn;
    spawn.argv = {xdg_open, url};
    spawn.env = process::current_environment();
    spawn.detach = true;
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    spawn.output_fd = null_fd;
    int64_t pid = -1;
    try {
      pid = process::spawn(spawn);
    } catch (...) {
      if (null_fd >= 0) close(null_fd);
      throw;
    }
    if (null_fd >= 0) close(null_fd);
    std::thread([pid] {
      process::ExitStatus status = process::wait_child(pid);
      if (!status.success()) spdlog::warn("xdg-open ended with {}", status.describe());
    }).detach();
    spdlog::info("opened the web UI with xdg-open (pid {})", pid);
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("cannot open the web UI in a browser ({}); it is at {}", e.what(), url);
    return false;
  }
}

}  // namespace upkeep

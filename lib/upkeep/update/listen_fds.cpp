#include "upkeep/update/listen_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "upkeep/base/launch_env.h"
#include "upkeep/platform/health_channel.h"

namespace upkeep {
namespace {

constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START

// A positive decimal number, or -1.
long parse_count(const char* text) {
  if (!text || !*text) return -1;
  char* end = nullptr;
  long n = std::strtol(text, &end, 10);
  return (*end == '\0' && n > 0) ? n : -1;
}

std::vector<std::string> split_names(std::string_view names) {
  std::vector<std::string> out;
  while (!names.empty()) {
    size_t colon = names.find(':');
    out.emplace_back(names.substr(0, colon));
    if (colon == std::string_view::npos) break;
    names.remove_prefix(colon + 1);
  }
  return out;
}

}  // namespace

std::vector<ListenFd> inherited_listen_fds() {
  const char* pid = std::getenv("LISTEN_PID");
  if (!pid) return {};
  long owner = parse_count(pid);
  long count = parse_count(std::getenv("LISTEN_FDS"));
  const char* names_text = std::getenv("LISTEN_FDNAMES");
  std::vector<std::string> names = split_names(names_text ? names_text : "");
  if (owner != static_cast<long>(getpid())) return {};  // meant for another process: left as they are
  for (const char* k : {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) unsetenv(k);
  std::vector<ListenFd> fds;
  for (long i = 0; i < count; ++i) {
    int fd = kFirstFd + static_cast<int>(i);
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) continue;  // announced but not open: nothing to hand out
    fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    fds.push_back({fd, static_cast<size_t>(i) < names.size() ? names[i] : "unknown"});
  }
  return fds;
}

void report_ready_to_launcher() { write_byte_to_launcher(env::kReadyFd); }

}  // namespace upkeep

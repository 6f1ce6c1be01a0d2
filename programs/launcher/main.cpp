// The launcher: the stable entry point a desktop shortcut points at.
// See launcher.h for the order of work and README.md for exit codes.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "launcher.h"
#include "upkeep/base/error.h"
#include "upkeep/base/logging.h"
#include "upkeep/platform/fs.h"

namespace {
const char* kHelp =
    "usage: launcher [--after-pid PID] [--check-on-start] [--] [ARGS for the application...]\n"
    "       launcher --status [--json]\n"
    "       launcher --rollback\n"
    "\n"
    "Applies a staged update if there is one, then starts the installed application\n"
    "with ARGS. A new version that fails its first start is rolled back at once.\n"
    "  --after-pid PID     wait for process PID to exit first (restart to update)\n"
    "  --check-on-start    check for, download and apply an update before starting\n"
    "  --status [--json]   show installed versions, pending work and recent events\n"
    "  --rollback          go back to the previous good version (the current one is marked bad)\n";
}

int main(int argc, char** argv) {
  using namespace upkeep;
  try {
    auto options = LauncherOptions::parse(std::vector<std::string>(argv + 1, argv + argc));
    if (options.help) {
      std::fputs(kHelp, stdout);
      return 0;
    }
    std::string self = fs::self_executable_path().string();
    Layout layout = Layout::from_executable(self);
    // The file log is opened only on the slow path (launcher.cpp): the fast path stays one exec.
    init_logging({.program = "launcher"});
    return Launcher(layout, self).run(options);
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    std::fprintf(stderr, "launcher: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("unexpected: {}", e.what());
    std::fprintf(stderr, "launcher: %s\n", e.what());
    return static_cast<int>(ErrorCode::kFailure);
  }
}

// The launcher: the stable entry point a desktop shortcut points at.
// See launcher.h for the order of work, launcher_options.h for the options
// and README.md for exit codes. Its own errors are printed once, as one
// line "launcher: <message>" on stderr (and logged to the install's log
// when the slow path opened it).
#include <spdlog/spdlog.h>

#include <cstdio>

#include "launcher.h"
#include "upkeep/base/error.h"
#include "upkeep/base/logging.h"
#include "upkeep/install/trash.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"

namespace {

int report(const std::string& message, upkeep::ErrorCode code) {
  upkeep::log_error_to_file(message);
  std::fprintf(stderr, "launcher: %s\n", message.c_str());
  return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace upkeep;
  try {
    // The file log is opened only on the slow path (launcher.cpp): the fast path stays one exec.
    init_logging({.program = "launcher"});
    auto options = LauncherOptions::parse(std::vector<std::string>(argv + 1, argv + argc));
    if (options.help) {
      std::fputs(LauncherOptions::usage(), stdout);
      return 0;
    }
    if (options.version) {
      std::printf("upkeep launcher %s\n", UPKEEP_VERSION_STRING);
      return 0;
    }
    std::string self = fs::self_executable_path().string();
    if (options.empty_trash) {
      // Started detached by a launcher after its clean-up (trash.h); nobody waits for it.
      process::lower_own_priority();
      size_t n = Trash(Layout::from_executable(self)).empty();
      spdlog::info("emptied the trash: {} entries deleted", n);
      return 0;
    }
    process::ExitStatus status = Launcher(Layout::from_executable(self), self).run(options);
    spdlog::default_logger()->flush();
    std::fflush(nullptr);
    process::exit_like(status);
  } catch (const Error& e) {
    return report(e.what(), e.code());
  } catch (const std::exception& e) {
    return report(std::string("unexpected: ") + e.what(), ErrorCode::kFailure);
  }
}

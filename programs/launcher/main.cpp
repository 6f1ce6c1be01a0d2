// The launcher: the stable entry point a desktop shortcut points at.
// See launcher.h for the order of work, launcher_options.h for the options
// and upkeep/base/exit_codes.h for exit codes. Its own errors are printed
// once by run_command(), as one line "launcher: <message>" on stderr (and
// logged to the install's log when the slow path opened it).
#include <spdlog/spdlog.h>

#include <cstdio>

#include "launcher.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/logging.h"
#include "upkeep/install/trash.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"

int main(int argc, char** argv) {
  using namespace upkeep;
  // The file log is opened only on the slow path (launcher.cpp): the fast path stays one exec.
  init_logging({.program = "launcher"});
  const std::vector<std::string> args(argv + 1, argv + argc);
  // Only the launcher's own words decide whether a failure is also JSON: the application's are its own.
  const std::vector<std::string> own(args.begin(), args.begin() + static_cast<long>(LauncherOptions::own_count(args)));
  return run_command(
      "launcher", own,
      [&]() -> int {
        auto options = LauncherOptions::parse(args);
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
      },
      "--upkeep-json");
}

// hello: a C++ application that embeds the upkeep library, kept minimal
// (the whole thing, with a UI and the restart prompt: programs/mainapp/).
// docs/integration.md; built by CMake as the target example_cpp_hello.
//   upkeep release FOLDER --version 1.0.0 --program hello --health confirm
//
// usage: hello [--exit CODE] [--update] [ARGS...]
//   --exit CODE  exit with CODE once started (the launcher passes it on)
//   --update     check for an update now; if one is staged, restart into it
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "upkeep/base/logging.h"
#include "upkeep/install/healthy_start.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/policy/config.h"
#include "upkeep/update/restart_to_update.h"
#include "upkeep/update/update_service.h"

namespace {

// What the update service reports, on the thread that checks.
class Printer : public upkeep::UpdateObserver {
 public:
  void on_up_to_date(const std::string& version) override { std::printf("up to date: %s\n", version.c_str()); }
  void on_staged(const upkeep::ReleaseInfo& release) override { std::printf("update staged\n"); }
  void on_error(const std::string& message) override { std::printf("update check failed: %s\n", message.c_str()); }
};

// One check now; true when a version is staged and the launcher was asked to apply it.
bool update_now(const char* root) {
  upkeep::Layout layout(root);
  upkeep::Config config = upkeep::Config::load(layout.config_file());
  Printer printer;
  upkeep::UpdateService service(layout, config, std::make_unique<upkeep::net::HttpFetcher>(), printer);
  if (!service.check_now()) return false;
  // Restart to update: the launcher waits for this process to end, applies the staged version and starts it.
  const char* launcher = std::getenv("UPKEEP_LAUNCHER");
  upkeep::restart_to_update({.launcher = launcher ? launcher : "", .app_args = {}});
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const char* root = std::getenv("UPKEEP_ROOT");  // set by the launcher
  const char* version = std::getenv("UPKEEP_VERSION");
  std::printf("hello from the C++ example %s\n", version ? version : "(not installed)");
  if (const char* from = std::getenv("UPKEEP_ROLLED_BACK_FROM"))
    std::printf("version %s did not start; back on %s\n", from, version);
  std::fflush(stdout);
  // The library logs through spdlog: to the install's log folder, warnings also to stderr.
  if (root) upkeep::init_logging({.program = "hello", .log_dir = upkeep::Layout(root).logs_dir()});
  // Up: ends a new version's trial (records it good, writes the health byte); a no-op otherwise.
  upkeep::confirm_healthy_start();

  try {
    if (args.size() == 2 && args[0] == "--exit") return std::atoi(args[1].c_str());
    if (!args.empty() && args[0] == "--update" && root) {
      if (update_now(root)) std::printf("restarting to update\n");
      return 0;
    }
  } catch (const std::exception& e) {  // upkeep::Error: what failed, with its exit code
    std::fprintf(stderr, "hello: %s\n", e.what());
    return 1;
  }
  std::printf("arguments:");
  for (const auto& a : args) std::printf(" %s", a.c_str());
  std::printf("\n");
  return 0;
}

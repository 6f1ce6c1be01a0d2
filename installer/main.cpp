// upkeep: the vendor and admin tool (keys, releases, repository server,
// install/uninstall). Dispatches to one subcommand; errors become the exit
// codes documented in README.md.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "commands.h"
#include "error.h"
#include "logging.h"

namespace {

const char* kUsage =
    "usage: upkeep COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  keys init            create signing keys and the initial signed root\n"
    "  keys add|revoke|rotate-root|list\n"
    "                       manage the keys of each role (new root version)\n"
    "  release DIR --version V [--channel C] [--notes FILE] [--hook KIND=PATH]\n"
    "          [--delta-from N | --no-delta] [--rollout P] [--critical]\n"
    "                       publish a build folder into the repository\n"
    "  rollout --version V --percent P\n"
    "                       offer a published release to P% of installations\n"
    "  refresh-timestamp    re-sign the timestamp with a fresh expiry (cron)\n"
    "  serve REPO [--port P] [--host H]\n"
    "                       serve a repository over HTTP (127.0.0.1 by default)\n"
    "  mirror SOURCE_URL DIR [--trusted-root FILE] [--json]\n"
    "                       copy a repository, verified, for hosting inside a network\n"
    "  install --repo URL --prefix DIR [--version V] [--silent]\n"
    "                       install an application\n"
    "  uninstall --prefix DIR [--json]\n"
    "                       remove an installed application\n"
    "\n"
    "Run 'upkeep COMMAND --help' for the options of one command.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace upkeep;
  init_logging({.program = "upkeep"});
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? static_cast<int>(ErrorCode::kUsage) : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("upkeep %s\n", UPKEEP_VERSION_STRING);
    return 0;
  }
  const std::map<std::string, std::function<int(const cli::Args&)>> commands = {
      {"keys", cli::cmd_keys},           {"release", cli::cmd_release},
      {"serve", cli::cmd_serve},         {"install", cli::cmd_install},
      {"uninstall", cli::cmd_uninstall}, {"refresh-timestamp", cli::cmd_refresh_timestamp},
      {"rollout", cli::cmd_rollout},     {"mirror", cli::cmd_mirror},
  };
  auto it = commands.find(argv[1]);
  if (it == commands.end()) {
    std::fprintf(stderr, "upkeep: unknown command '%s'\n\n%s", argv[1], kUsage);
    return static_cast<int>(ErrorCode::kUsage);
  }
  try {
    return it->second(cli::Args(argv + 2, argv + argc));
  } catch (const Error& e) {
    spdlog::error("{} failed: {}", argv[1], e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", argv[1], e.what());
    return static_cast<int>(ErrorCode::kFailure);
  }
}

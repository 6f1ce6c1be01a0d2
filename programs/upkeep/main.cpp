// upkeep: the vendor and admin tool (keys, releases, repository server,
// install/uninstall). Dispatches to one subcommand; errors become the exit
// codes documented in README.md.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "commands.h"
#include "upkeep/admin/offline_bundle.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/platform/fs.h"

namespace {

const char* kUsage =
    "usage: upkeep COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  keys init            create signing keys and the initial signed root\n"
    "  keys add|revoke|rotate-root|list\n"
    "                       manage the keys of each role (new root version)\n"
    "  release DIR --version V | --version-from REL/PATH [--channel C] [--notes FILE]\n"
    "          [--hook KIND=PATH] [--delta-from N | --no-delta] [--rollout P] [--critical]\n"
    "                       publish a build folder into the repository\n"
    "  rollout --version V --percent P\n"
    "                       offer a published release to P% of installations\n"
    "  refresh-timestamp    re-sign the timestamp with a fresh expiry (cron)\n"
    "  serve REPO [--port P] [--host H]\n"
    "                       serve a repository over HTTP (127.0.0.1 by default)\n"
    "  info URL | --app-id ID [--trusted-root FILE] [--json]\n"
    "                       what a repository says about itself: signed releases and modules,\n"
    "                       and the server's unsigned word\n"
    "  mirror SOURCE_URL DIR [--trusted-root FILE] [--json]\n"
    "                       copy a repository, verified, for hosting inside a network\n"
    "  bundle --version V -o FILE [--repo DIR|URL] [--update-url URL]\n"
    "                       write one file that installs V with no network\n"
    "  install --repo URL | --bundle FILE | --app-id ID (policy) [--system | --schedule] [--version V]\n"
    "          [--mirror URL]... [--credentials FILE] [--silent] [--json]\n"
    "                       install an application (per user; per machine with --system,\n"
    "                       kept current by root's update timer; --schedule: a user timer;\n"
    "                       updates try each --mirror when the repository fails;\n"
    "                       --credentials: a 0600 file copied to <root>/credentials.json)\n"
    "  repair --app-id ID [--system] [--json]\n"
    "                       re-check the current version against its signed manifest\n"
    "                       and restore what is missing or changed\n"
    "  quarantine --app-id ID [--system] [--json] [list | clear VERSION]\n"
    "                       list quarantined updates, or offer one again\n"
    "  uninstall --app-id ID [--system] [--purge] [--json]\n"
    "                       remove an installed application\n"
    "  watch BUILD_DIR [--publish DIR] [--exec COMMAND] [--once] [--json]\n"
    "                       release a build folder each time it has been quiet after a change\n"
    "  version-of FILE [--json] [--run-version]\n"
    "                       the version a Windows exe/dll or an ELF program states\n"
    "  compare A B [--json] print -1, 0 or 1: A older than, as new as, newer than B\n"
    "  doctor REPO_URL [--json]\n"
    "                       check a hosted repository: expiry ahead, cache headers, every current target\n"
    "\n"
    "Run 'upkeep COMMAND --help' for the options of one command.\n";

const std::map<std::string, std::function<int(const upkeep::cli::Args&)>>& commands() {
  using namespace upkeep;
  static const std::map<std::string, std::function<int(const cli::Args&)>> table = {
      {"keys", cli::cmd_keys},           {"release", cli::cmd_release},
      {"serve", cli::cmd_serve},         {"install", cli::cmd_install},
      {"uninstall", cli::cmd_uninstall}, {"refresh-timestamp", cli::cmd_refresh_timestamp},
      {"rollout", cli::cmd_rollout},     {"mirror", cli::cmd_mirror},
      {"info", cli::cmd_info},           {"bundle", cli::cmd_bundle},
      {"repair", cli::cmd_repair},       {"quarantine", cli::cmd_quarantine},
      {"watch", cli::cmd_watch},         {"version-of", cli::cmd_version_of},
      {"compare", cli::cmd_compare},     {"doctor", cli::cmd_doctor},
  };
  return table;
}

bool is_command(const std::string& name) { return commands().count(name) > 0; }

const char* kBundleUsage =
    "usage: %s [--system] [--silent [--log FILE]] [--json] [--no-shortcut]\n"
    "          [--trusted-root root.json] [--repo URL] [--prefix DIR] ...\n"
    "       %s COMMAND [options]   (any upkeep command, e.g. uninstall)\n"
    "\n"
    "This file installs %s %s (%s) with no network: it is `upkeep install\n"
    "--bundle` with the release inside. Installed copies check %s for updates\n"
    "(--repo URL names another). Exit codes as `upkeep install`: README.\n";

// Runs the command `args` names (args[0]); none and the top-level flags are
// handled here. An offline bundle (upkeep bundle) is this program with a
// release behind it: run without a command, it installs what it holds
// (`args` then becomes that install's command line).
int run(std::vector<std::string>& args, const char* program) {
  using namespace upkeep;
  const auto self = fs::self_executable_path();
  if (admin::OfflineBundle::is_bundle(self) && (args.empty() || !is_command(args[0]))) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
      const auto f = admin::OfflineBundle::open(self).facts();
      std::printf(kBundleUsage, program, program, f.app_id.c_str(), f.version.c_str(), f.platform.c_str(),
                  f.update_url.c_str());
      return 0;
    }
    args.insert(args.begin(), {"install", "--bundle", self.string()});
  }
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? static_cast<int>(ErrorCode::kUsage) : 0;
  }
  if (args[0] == "--version") {
    std::printf("upkeep %s\n", UPKEEP_VERSION_STRING);
    return 0;
  }
  auto it = commands().find(args[0]);
  if (it == commands().end()) {
    std::fprintf(stderr, "upkeep: unknown command '%s'\n\n%s", args[0].c_str(), kUsage);
    return static_cast<int>(ErrorCode::kUsage);
  }
  const cli::Args command_args(args.begin() + 1, args.end());
  return cli::with_json_errors(command_args, [&] { return it->second(command_args); });
}

}  // namespace

int upkeep::cli::with_json_errors(const Args& args, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    if (std::find(args.begin(), args.end(), "--json") != args.end()) {
      Json j = Json::object();
      j["error"] = e.what();
      j["exit_code"] = static_cast<int64_t>(e.code());
      std::printf("%s\n", j.dump(0).c_str());
    }
    throw;
  }
}

int main(int argc, char** argv) {
  using namespace upkeep;
  init_logging({.program = "upkeep"});
  std::vector<std::string> args(argv + 1, argv + argc);
  auto command = [&] { return args.empty() ? std::string("upkeep") : args[0]; };
  try {
    return run(args, argv[0]);
  } catch (const Error& e) {
    spdlog::error("{} failed: {}", command(), e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", command(), e.what());
    return static_cast<int>(ErrorCode::kFailure);
  }
}

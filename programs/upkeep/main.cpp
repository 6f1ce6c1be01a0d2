// upkeep: the vendor and admin tool (keys, releases, repository server,
// install/uninstall). Dispatches to one subcommand (kCommands); errors
// become the exit codes of upkeep/base/exit_codes.h, reported by
// run_command() (upkeep/base/command_line.h).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "commands.h"
#include "upkeep/admin/offline_bundle.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/exit_codes.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/platform/fs.h"

namespace {

// Every command, in the order `upkeep --help` lists them.
constexpr upkeep::cli::Command kCommands[] = {
    {"keys", "init|add|revoke|rotate-root|list", "manage the signing keys of each role (new root version)",
     upkeep::cli::cmd_keys},
    {"release", "DIR --version V | --version-from REL/PATH", "publish a build folder into the repository",
     upkeep::cli::cmd_release},
    {"rollout", "--version V --percent P", "offer a published release to P% of installations",
     upkeep::cli::cmd_rollout},
    {"refresh-timestamp", "", "re-sign the timestamp with a fresh expiry (cron)", upkeep::cli::cmd_refresh_timestamp},
    {"serve", "REPO [--port P]", "serve a repository over HTTP (127.0.0.1 by default)", upkeep::cli::cmd_serve},
    {"info", "URL | --app-id ID", "what a repository says about itself: signed releases, and the server's word",
     upkeep::cli::cmd_info},
    {"mirror", "SOURCE_URL DIR", "copy a repository, verified, for hosting inside a network", upkeep::cli::cmd_mirror},
    {"bundle", "--version V -o FILE", "write one file that installs V with no network", upkeep::cli::cmd_bundle},
    {"install", "--repo URL | --bundle FILE | --app-id ID", "install an application (per user, or --system)",
     upkeep::cli::cmd_install},
    {"repair", "--app-id ID", "re-check the current version against its signed manifest and restore it",
     upkeep::cli::cmd_repair},
    {"quarantine", "--app-id ID [list | clear VERSION]", "list quarantined updates, or offer one again",
     upkeep::cli::cmd_quarantine},
    {"uninstall", "--app-id ID [--purge]", "remove an installed application", upkeep::cli::cmd_uninstall},
    {"watch", "BUILD_DIR", "release a build folder each time it has been quiet after a change", upkeep::cli::cmd_watch},
    {"version-of", "FILE", "the version a Windows exe/dll or an ELF program states", upkeep::cli::cmd_version_of},
    {"compare", "A B", "print -1, 0 or 1: A older than, as new as, newer than B", upkeep::cli::cmd_compare},
    {"doctor", "REPO_URL", "check a hosted repository: expiry ahead, cache headers, every current target",
     upkeep::cli::cmd_doctor},
    {"exit-codes", "", "the exit codes of every upkeep program, with their names", upkeep::cli::cmd_exit_codes},
};

const upkeep::cli::Command* find_command(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

bool is_command(const std::string& name) { return find_command(name) != nullptr; }

// `upkeep` itself: --help lists the commands from kCommands.
upkeep::CommandLine top_command_line() {
  std::string list = "commands:\n";
  for (const auto& c : kCommands) {
    std::string head = std::string("  ") + c.name + (*c.synopsis ? std::string(" ") + c.synopsis : "");
    list += head.size() < 30 ? head + std::string(30 - head.size(), ' ') + c.summary + "\n"
                             : head + "\n" + std::string(30, ' ') + c.summary + "\n";
  }
  list +=
      "\nRun 'upkeep COMMAND --help' for the options of one command; 'upkeep exit-codes'\n"
      "for what each exit code means. With --json, every command prints a failure as\n"
      "{\"error\": {\"code\", \"name\", \"message\"}} on stdout (docs/admin-guide.md).";
  upkeep::CommandLine c("upkeep", "The vendor's and administrator's tool: keys, releases, repositories, installs.");
  c.usage("upkeep COMMAND [options]").footer(list);
  return c;
}

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
  if (args.empty()) fail(ErrorCode::kUsage, "expected a command (upkeep --help lists them)");
  if (args[0].rfind('-', 0) == 0) {
    top_command_line().parse(args);  // --help, --version, or a usage error
    return 0;
  }
  const cli::Command* command = find_command(args[0]);
  if (!command) fail(ErrorCode::kUsage, "unknown command '" + args[0] + "' (upkeep --help lists them)");
  return command->run(cli::Args(args.begin() + 1, args.end()));
}

}  // namespace

std::span<const upkeep::cli::Command> upkeep::cli::commands() { return kCommands; }

int upkeep::cli::cmd_exit_codes(const Args& args) {
  CommandLine c("upkeep exit-codes",
                "The exit codes of every upkeep program (launcher, mainapp, upkeep, upkeep-updater).");
  c.flag("json", "print [{\"code\", \"name\", \"meaning\"}, ...]").flag("markdown", "print README.md's table");
  const ParsedArgs cli = c.parse(args);
  if (cli.flag("json") && cli.flag("markdown")) fail(ErrorCode::kUsage, "--json and --markdown exclude each other");
  const std::string text = cli.flag("json")       ? exit_codes_json().dump(0) + "\n"
                           : cli.flag("markdown") ? exit_codes_markdown()
                                                  : exit_codes_text();
  std::fputs(text.c_str(), stdout);
  return 0;
}

int main(int argc, char** argv) {
  using namespace upkeep;
  init_logging({.program = "upkeep"});
  std::vector<std::string> args(argv + 1, argv + argc);
  // Messages name the command: "upkeep install: ..." (an offline bundle: its own file name).
  const bool bundle = admin::OfflineBundle::is_bundle(fs::self_executable_path());
  const std::string program = bundle ? std::filesystem::path(argv[0]).filename().string()
                              : !args.empty() && is_command(args[0]) ? "upkeep " + args[0]
                                                                     : std::string("upkeep");
  return run_command(program, args, [&] { return run(args, argv[0]); });
}

// The options and JSON keys several `upkeep` commands share, declared once
// (commands.h).
#include "commands.h"
#include "upkeep/policy/config.h"

namespace upkeep::cli {

void add_install_root_options(CommandLine& c) {
  c.option("app-id", "ID", "the installed application")
      .flag("system", "the per-machine install of ID (default: this user's)")
      .option("prefix", "DIR", "the install root itself, instead of --app-id");
}

void add_silent_options(CommandLine& c) {
  c.flag("silent", "no console output but errors; the whole log in a file")
      .option("log", "FILE", "with --silent: the log file's folder (default: the scope's log folder)");
}

void add_install_json(Json& j, const Layout& layout, const std::optional<std::string>& app_id) {
  j["root"] = layout.root().string();
  std::string id = app_id.value_or("");
  if (id.empty()) {
    std::error_code ec;
    try {
      if (std::filesystem::exists(layout.config_file(), ec))
        id = Config::load_or_salvage(layout.config_file(), "").config.app_id;
    } catch (const Error&) {
      // unreadable: the object says null, the command goes on and reports its own failure
    }
  }
  j["app_id"] = id.empty() ? Json(nullptr) : Json(id);
}

void add_repository_options(CommandLine& c) {
  c.option("keys", "DIR", "key folder, default ./keys (the online targets, snapshot and timestamp keys are used)")
      .option("repo", "DIR", "repository folder, default ./repo")
      .repeated("expires", "R=D", "metadata lifetime override per role, e.g. targets=30d or timestamp=12h");
}

void add_program_options(CommandLine& c) {
  c.option("program", "REL/PATH",
           "the program the launcher starts, a file of DIR with an x bit (or a relative link to one inside DIR), "
           "signed in files.json. Default: the one executable file at the top of DIR; with none or several, "
           "release refuses and lists them")
      .repeated("arg", "ARG", "an argument the launcher passes before the user's (again for more, in order)")
      .option("health", "RULE",
              "when a new version's first start counts as healthy: confirm (the app confirms: embeds the library "
              "or writes a byte to $UPKEEP_HEALTH_FD), running:N (alive N seconds, 1-3600; the default is "
              "running:10) or exit (a command-line tool: any ordinary exit is healthy, only a failure to run "
              "counts)");
}

}  // namespace upkeep::cli

// upkeep install / uninstall.
#include <cstdio>

#include "cli_args.h"
#include "commands.h"
#include "error.h"
#include "fs.h"
#include "json.h"
#include "logging.h"
#include "release_hooks.h"
#include "update/console_reporter.h"
#include "vendor/installer.h"

namespace upkeep::cli {
namespace {

std::string with_slash(std::string url) {
  if (!url.empty() && url.back() != '/') url += '/';
  return url;
}

}  // namespace

int cmd_install(const Args& argv) {
  CliArgs args(argv, {.flags = {"silent", "json"},
                      .values = {"repo", "prefix", "version", "app-id", "channel", "trusted-root", "launcher"}});
  auto repo = args.value("repo");
  auto prefix = args.value("prefix");
  if (!repo || !prefix) fail(ErrorCode::kUsage, "install needs --repo URL and --prefix DIR");
  bool silent = args.flag("silent") || args.flag("json");
  if (args.flag("silent")) init_logging({.program = "upkeep", .quiet = true});

  InstallOptions o;
  o.repository_url = with_slash(*repo);
  o.prefix = *prefix;
  o.version = args.value("version");
  o.app_id = args.value("app-id");
  o.channel = args.value_or("channel", "stable");
  if (auto r = args.value("trusted-root")) o.trusted_root = *r;
  auto here = fs::self_executable_path().parent_path();
  o.launcher_binary = args.value_or("launcher", (here / "launcher").string());
  o.updater_binary = here / "upkeep-updater";

  ConsoleReporter progress(ConsoleReporter::Progress::kAuto, silent);
  InstallResult r = install(o, progress);
  if (args.flag("json")) {
    Json j = Json::object();
    j["app_id"] = r.app_id;
    j["version"] = r.version;
    j["launcher"] = r.launcher.string();
    j["trusted_on_first_use"] = r.trusted_on_first_use;
    std::printf("%s\n", j.dump(0).c_str());
  } else if (!silent) {
    if (r.trusted_on_first_use)
      std::printf("note: trusted the repository's root keys on first use; pin them with --trusted-root\n");
    std::printf("installed %s %s into %s\nstart it with: %s\n", r.app_id.c_str(), r.version.c_str(),
                std::filesystem::absolute(*prefix).c_str(), r.launcher.c_str());
  }
  return 0;
}

int cmd_uninstall(const Args& argv) {
  CliArgs args(argv, {.flags = {"silent", "json"}, .values = {"prefix"}});
  auto prefix = args.value("prefix");
  if (!prefix) fail(ErrorCode::kUsage, "uninstall needs --prefix DIR");
  UninstallResult r = uninstall(*prefix);
  // A failed uninstall hook does not block the uninstall: it is reported, and the exit code stays 0.
  std::string warning = r.hook_problem;
  if (r.hook && r.hook->state != HookRunState::kSucceeded) {
    warning = describe_hook_run(*r.hook) + "; the application was removed anyway";
    if (!r.hook->output.empty()) warning += "\nits output ended with:\n" + r.hook->output;
  }
  if (!warning.empty()) std::fprintf(stderr, "upkeep: warning: %s\n", warning.c_str());
  if (args.flag("json")) {
    Json j = Json::object();
    j["prefix"] = std::filesystem::absolute(*prefix).string();
    j["removed"] = r.removed;
    if (r.hook) j["hook"] = hook_run_to_json(*r.hook);
    if (!r.hook_problem.empty()) j["hook_problem"] = r.hook_problem;
    std::printf("%s\n", j.dump(0).c_str());
  } else if (!args.flag("silent")) {
    std::printf(r.removed ? "removed %s\n" : "nothing installed at %s\n", prefix->c_str());
  }
  return 0;
}

}  // namespace upkeep::cli

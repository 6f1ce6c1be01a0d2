// upkeep install / uninstall.
#include <cstdio>

#include "commands.h"
#include "upkeep/admin/install_paths.h"
#include "upkeep/admin/installer.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/base/trailing_slash.h"
#include "upkeep/hooks/release_hooks.h"
#include "upkeep/platform/fs.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/policy/mirror_list.h"
#include "upkeep/update/console_reporter.h"

namespace upkeep::cli {
namespace {

// Where the scope's paths are, with the command line's overrides.
admin::InstallPathOverrides path_overrides(const ParsedArgs& args) {
  admin::InstallPathOverrides o;
  if (auto v = args.value("prefix")) o.prefix = *v;
  if (auto v = args.value("applications-dir")) o.applications_dir = *v;
  if (auto v = args.value("icons-dir")) o.icons_dir = *v;
  return o;
}

admin::InstallScope scope_of(const ParsedArgs& args) {
  return args.flag("system") ? admin::InstallScope::kSystem : admin::InstallScope::kUser;
}

// This machine's managed policy for `app_id` over the defaults (docs/admin-guide.md
// "Managed policy"); rejected files are reported and do not apply.
UpdateSettings policy_settings(const std::string& app_id) {
  UpdateSettings s;
  const auto policy = ManagedPolicy::load(ManagedPolicy::folder_for(app_id, process_environment()));
  policy.apply_to(s);  // a rejected file: ManagedPolicy::load() said so, once
  return s;
}

Json install_json(const admin::InstallResult& r) {
  Json j = Json::object();
  j["app_id"] = r.app_id;
  j["version"] = r.version;
  j["launcher"] = r.launcher.string();
  j["root"] = r.launcher.parent_path().string();
  j["desktop_entry"] = r.desktop_entry ? Json(r.desktop_entry->string()) : Json(nullptr);
  j["trusted_on_first_use"] = r.trusted_on_first_use;
  if (!r.units.empty()) {
    Json units = Json::array();
    for (const auto& u : r.units) units.push_back(u.string());
    j["units"] = units;
    j["timer_enabled"] = r.timer_enabled;
    if (!r.timer_note.empty()) j["timer_note"] = r.timer_note;
    if (!r.cron_line.empty()) j["cron_line"] = r.cron_line;
  }
  return j;
}

CommandLine install_command_line() {
  CommandLine c("upkeep install",
                "Installs an application from its repository (or from an offline bundle): the\n"
                "launcher, the updater and the newest release of the channel, verified. Per\n"
                "user by default; per machine with --system (as root), then kept current by\n"
                "root's update timer.");
  c.usage(
      "upkeep install --repo URL | --bundle FILE | --app-id ID (policy) [--system | --schedule] [--version V]\n"
      "               [--mirror URL]... [--credentials FILE] [--silent [--log FILE]] [--json]");
  c.option("repo", "URL", "the repository (http://, https://, sftp:// or file://)")
      .option("bundle", "FILE", "install from an offline bundle (upkeep bundle), with no network")
      .option("app-id", "ID",
              "the application; without --repo, a managed policy for ID names the repository (docs/admin-guide.md)")
      .option("version", "V", "this version instead of the newest")
      .option("channel", "C", "the release channel, default stable")
      .option("trusted-root", "FILE", "the vendor's root.json to pin (default: trusted on first use)")
      .repeated("mirror", "URL", "a mirror updates try when the repository fails; again for more")
      .option("credentials", "FILE", "a 0600 credentials file, copied to <root>/credentials.json")
      .flag("system", "per machine, as root (kept current by root's update timer)")
      .flag("schedule", "per user: also a user timer that checks for updates")
      .option("systemd-dir", "DIR", "where --system or --schedule write the update timer")
      .option("prefix", "DIR", "the install root (default: the scope's, docs/admin-guide.md)")
      .option("applications-dir", "DIR", "where the desktop shortcut goes")
      .option("icons-dir", "DIR", "where the icon goes")
      .flag("no-shortcut", "no desktop shortcut")
      .option("launcher", "FILE", "the launcher program to install (default: the one beside upkeep)")
      .flag("verbose", "when stderr is no terminal, one progress line per download when it ends");
  add_silent_options(c);
  c.flag("json", "print the result as one JSON object")
      .footer("Exit codes: `upkeep exit-codes`; e.g. 8 already installed, 12 --system needs root.");
  return c;
}

CommandLine uninstall_command_line() {
  CommandLine c("upkeep uninstall",
                "Removes an installed application: its uninstall hook first (its failure never\n"
                "blocks the removal), the shortcut and icon, the update timer, then the root.\n"
                "--purge also removes the user data folders the install recorded.");
  c.usage("upkeep uninstall --app-id ID [--system] | --prefix DIR [--purge] [--silent [--log FILE]] [--json]");
  add_install_root_options(c);
  c.flag("purge",
         "also remove the application's user data (after a plain uninstall too: with --app-id ID it is found by the "
         "XDG rules)");
  add_silent_options(c);
  c.flag("json", "print the result as one JSON object")
      .footer("Exit codes: `upkeep exit-codes`; e.g. 12 a per-machine install needs root.");
  return c;
}

void print_installed(const admin::InstallResult& r, bool system) {
  if (r.trusted_on_first_use)
    std::printf("note: trusted the repository's root keys on first use; pin them with --trusted-root\n");
  std::printf("installed %s %s into %s\nstart it with: %s\n", r.app_id.c_str(), r.version.c_str(),
              r.launcher.parent_path().c_str(), r.launcher.c_str());
  if (r.desktop_entry) std::printf("shortcut: %s\n", r.desktop_entry->c_str());
  if (r.units.empty()) return;
  const std::string timer = r.units.back().string();
  if (r.timer_enabled) {
    std::printf("update timer: %s (enabled)\n", timer.c_str());
  } else {
    std::printf("update timer: %s, not enabled: %s\n", timer.c_str(), r.timer_note.c_str());
    const std::string where = system ? "as a file in /etc/cron.d" : "with crontab -e";
    std::printf("to check for updates without it, give cron this line (%s):\n  %s\n", where.c_str(),
                r.cron_line.c_str());
  }
}

}  // namespace

// Silent mode: no console output but errors, and the whole log in a file
// (--log FILE's folder, else the scope's log folder, install_paths.h).
void init_silent_logging(const ParsedArgs& args, const std::string& program_name) {
  std::filesystem::path dir;
  if (auto f = args.value("log")) {
    dir = std::filesystem::absolute(*f).parent_path();
  } else {
    try {
      dir = admin::InstallPaths::resolve(scope_of(args), "upkeep", {}).log_dir;
    } catch (const Error&) {
      // no HOME: no file log; the exit code still says what happened
    }
  }
  init_logging({.program = program_name, .log_dir = dir, .quiet = true});
}

std::filesystem::path install_root_from(const ParsedArgs& args, const std::string& command) {
  if (auto p = args.value("prefix")) return *p;
  if (auto id = args.value("app-id")) return admin::InstallPaths::resolve(scope_of(args), *id, {}).root;
  fail(ErrorCode::kUsage, command + " needs --app-id ID (with --system for a per-machine install) or --prefix DIR");
}

int cmd_install(const Args& argv) {
  const ParsedArgs args = install_command_line().parse(argv);
  bool silent = args.flag("silent") || args.flag("json");
  if (args.flag("silent")) init_silent_logging(args, "upkeep-install");
  auto repo = args.value("repo");
  auto bundle = args.value("bundle");
  // Managed policy for --app-id: the repository, channel and version prefix an administrator set.
  std::optional<UpdateSettings> policy;
  if (auto id = args.value("app-id"); id && !bundle) policy = policy_settings(*id);
  if (!repo && policy && policy->sources.at("repository_url").kind == SettingSource::Kind::kPolicy)
    repo = policy->repository_url;
  if (!repo && !bundle)
    fail(ErrorCode::kUsage,
         "install needs --repo URL or --bundle FILE (or --app-id ID with a managed policy naming repository_url)");
  if (bundle)
    for (const char* o : {"version", "app-id", "channel"})
      if (args.value(o))
        fail(ErrorCode::kUsage, std::string("install --bundle: --") + o + " comes from the bundle; leave it out");

  if (args.flag("schedule") && args.flag("system"))
    fail(ErrorCode::kUsage,
         "--schedule is for per-user installs: a per-machine install (--system) always gets its "
         "update timer");
  if (args.value("systemd-dir") && !args.flag("schedule") && !args.flag("system"))
    fail(ErrorCode::kUsage, "--systemd-dir is where --system or --schedule write the update timer; give one of them");

  admin::InstallOptions o;
  if (repo) o.repository_url = with_trailing_slash(*repo);
  for (const auto& url : args.values("mirror")) {
    Json one = Json::array();
    one.as_array().push_back(url);
    try {
      for (auto& u : MirrorList::parse("mirror", one)) o.mirror_urls.push_back(u);
    } catch (const Error&) {
      fail(ErrorCode::kUsage, "--mirror " + url + ": expected an http://, https://, sftp:// or file:// repository URL");
    }
  }
  o.scope = scope_of(args);
  o.schedule = args.flag("schedule");
  if (auto d = args.value("systemd-dir")) o.systemd_dir = *d;
  o.paths = path_overrides(args);
  o.shortcut = !args.flag("no-shortcut");
  o.version = args.value("version");
  o.app_id = args.value("app-id");
  o.channel = args.value_or("channel", "stable");
  if (policy) {
    if (!args.value("channel") && policy->sources.at("channel").kind == SettingSource::Kind::kPolicy)
      o.channel = policy->channel;
    if (!o.version) o.version_prefix = policy->target_version_prefix;
  }
  if (auto r = args.value("trusted-root")) o.trusted_root = *r;
  // --credentials FILE is copied into the root (0600); a policy's credentials_file is read where it is.
  if (auto c = args.value("credentials")) {
    o.credentials_file = *c;
  } else if (policy && !policy->credentials_file.empty()) {
    o.credentials_file = policy->credentials_file;
    o.keep_credentials = false;
  }
  auto here = fs::self_executable_path().parent_path();
  o.launcher_binary = args.value_or("launcher", (here / "launcher").string());
  o.updater_binary = here / "upkeep-updater";

  ConsoleReporter progress(ConsoleReporter::Progress::kAuto, silent, args.flag("verbose"));
  if (bundle && repo) o.config_repository_url = o.repository_url;  // updates from there, not the bundle's URL
  // A bundle run as itself installs its own launcher and updater; `upkeep install --bundle` installs ours.
  std::error_code ec;
  const bool self = bundle && std::filesystem::equivalent(*bundle, fs::self_executable_path(), ec);
  admin::InstallResult r = bundle ? admin::install_bundle(*bundle, o, self, progress) : admin::install(o, progress);
  if (args.flag("json"))
    std::printf("%s\n", install_json(r).dump(0).c_str());
  else if (!silent)
    print_installed(r, o.scope == admin::InstallScope::kSystem);
  return 0;
}

int cmd_uninstall(const Args& argv) {
  const ParsedArgs args = uninstall_command_line().parse(argv);
  if (args.flag("silent")) init_silent_logging(args, "upkeep-uninstall");
  const std::filesystem::path prefix = install_root_from(args, "uninstall");
  // Read before the root goes: what --json names the install by.
  Json j = Json::object();
  add_install_json(j, Layout(std::filesystem::absolute(prefix)), args.value("app-id"));
  // --purge after a plain uninstall: no record is left, the XDG rules of --app-id name the user data.
  std::optional<admin::PurgeFallback> fallback;
  if (auto id = args.value("app-id")) fallback = admin::PurgeFallback{*id, scope_of(args)};
  admin::UninstallResult r = admin::uninstall(prefix, args.flag("purge"), fallback);
  // A failed uninstall hook does not block the uninstall: it is reported, and the exit code stays 0.
  std::string warning = r.hook_problem;
  if (r.hook && r.hook->state != HookRunState::kSucceeded) {
    warning = describe_hook_run(*r.hook) + "; the application was removed anyway";
    if (!r.hook->output.empty()) warning += "\nits output ended with:\n" + r.hook->output;
  }
  if (!warning.empty()) std::fprintf(stderr, "upkeep: warning: %s\n", warning.c_str());
  if (!r.units_problem.empty()) std::fprintf(stderr, "upkeep: warning: update timer: %s\n", r.units_problem.c_str());
  if (!r.purge_problem.empty()) std::fprintf(stderr, "upkeep: warning: --purge: %s\n", r.purge_problem.c_str());
  if (args.flag("json")) {
    j["removed"] = r.removed;
    Json purged = Json::array();
    for (const auto& d : r.purged) purged.push_back(d.string());
    j["purged"] = purged;
    if (!r.purge_problem.empty()) j["purge_problem"] = r.purge_problem;
    Json units = Json::array();
    for (const auto& u : r.units) units.push_back(u.string());
    j["units_removed"] = units;
    if (r.hook) j["hook"] = hook_run_to_json(*r.hook);
    if (!r.hook_problem.empty()) j["hook_problem"] = r.hook_problem;
    std::printf("%s\n", j.dump(0).c_str());
  } else if (!args.flag("silent")) {
    if (r.removed || r.purged.empty())
      std::printf(r.removed ? "removed %s\n" : "nothing installed at %s\n", prefix.c_str());
    for (const auto& d : r.purged) std::printf("removed user data %s\n", d.c_str());
    for (const auto& u : r.units) std::printf("removed %s\n", u.c_str());
  }
  return 0;
}

}  // namespace upkeep::cli

// `upkeep repair`: re-checks the current version of an install against its
// signed manifest and restores what is missing or changed
// (upkeep/admin/version_repair.h).
#include <cstdio>

#include "commands.h"
#include "upkeep/admin/config_repair.h"
#include "upkeep/admin/version_repair.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/console_reporter.h"
#include "upkeep/update/update_service.h"

namespace upkeep::cli {
namespace {

CommandLine repair_command_line() {
  CommandLine c("upkeep repair",
                "First rewrites a damaged or missing config.json from what the install can\n"
                "trust (state.db's copy of the last good one, the values of the damaged file\n"
                "that are right, the app id, --repository URL) and sets a damaged state.db\n"
                "aside, rebuilding it from the version folders. Then it\n"
                "re-checks every file of the installed current version against its signed\n"
                "manifest (size, mode and SHA-256) and puts back what is missing or changed:\n"
                "from another kept version when it holds the same content, else from the\n"
                "release's package, downloaded and verified. Files the manifest does not list\n"
                "are removed from the version folder. User data is never touched.");
  c.usage("upkeep repair --app-id ID [--system] | --prefix DIR [--repository URL] [--json] [--silent [--log FILE]]");
  add_install_root_options(c);
  add_silent_options(c);
  c.option("repository", "URL", "the repository URL for a config.json that must be rewritten without one")
      .flag("json", "print the result as one JSON object")
      .flag("verbose", "when stderr is no terminal, one progress line per download when it ends")
      .footer(
          "Exit codes: 0 intact or repaired; 2 bad command line; 4 the install is busy;\n"
          "5 a download did not match its signature; 6 network; 7 no space; 9 nothing\n"
          "installed there, the version is gone from the repository, or config.json\n"
          "cannot be rewritten (the message names what is missing); 12 a per-machine\n"
          "install needs root; 14 permission denied; 15 the repository refused the credentials.");
  return c;
}

Json names(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

void print_config_repair(const Layout& layout, const admin::ConfigRepairResult& c) {
  std::printf("rewrote %s (it was damaged: %s)\n", layout.config_file().c_str(), c.damage.c_str());
  for (const auto& s : c.sources) std::printf("  from %s\n", s.c_str());
  for (const auto& d : c.dropped) std::printf("  dropped %s\n", d.c_str());
}

}  // namespace

int cmd_repair(const Args& argv) {
  const ParsedArgs args = repair_command_line().parse(argv);
  if (args.flag("silent")) init_silent_logging(args, "upkeep-repair");
  const Layout layout(std::filesystem::absolute(install_root_from(args, "repair")));
  std::error_code ec;
  if (!std::filesystem::is_directory(layout.versions_dir(), ec))
    fail(ErrorCode::kNotFound, layout.root().string() + ": no install there (no versions/ folder)");
  if (!layout.writable_by_this_process()) layout.fail_not_writable("repair");
  const bool quiet = args.flag("silent") || args.flag("json");
  ConsoleReporter progress(ConsoleReporter::Progress::kAuto, quiet, args.flag("verbose"));
  const admin::ConfigRepairResult c = admin::ConfigRepair(layout, args.value("app-id"), args.value("repository")).run();
  if (c.rewritten && !quiet) print_config_repair(layout, c);
  // The install's own proxy and credentials (managed policy's credentials_file, else <root>/credentials.json).
  const Config config = Config::load_or_salvage(layout.config_file(), "").config;
  const auto fetcher =
      net::make_fetcher(fetch_options(layout, config, ManagedPolicy::effective_settings(layout, config)));
  const admin::RepairResult r = admin::VersionRepair(layout, *fetcher, progress).run();
  if (args.flag("json")) {
    Json j = Json::object();
    add_install_json(j, layout);
    j["version"] = r.version;
    j["checked"] = static_cast<int64_t>(r.checked);
    j["intact"] = r.intact();
    j["restored"] = names(r.restored);
    j["modes"] = names(r.modes);
    j["removed"] = names(r.removed);
    j["manifest_refetched"] = r.manifest_refetched;
    j["launch_restored"] = r.launch_restored;
    j["bytes_downloaded"] = static_cast<int64_t>(r.bytes_downloaded);
    j["config_rewritten"] = c.rewritten;
    if (c.rewritten) j["config_damage"] = c.damage;
    std::printf("%s\n", j.dump(0).c_str());
  } else if (!quiet) {
    if (r.manifest_refetched) std::printf("fetched the signed manifest of %s again\n", r.version.c_str());
    for (const auto& p : r.restored) std::printf("restored %s\n", p.c_str());
    for (const auto& p : r.modes) std::printf("mode fixed %s\n", p.c_str());
    for (const auto& p : r.removed) std::printf("removed %s (not in the signed manifest)\n", p.c_str());
    if (r.launch_restored) std::printf("restored the launch spec of %s\n", r.version.c_str());
    std::printf(r.intact() ? "%s %s: %zu files checked, all intact\n" : "%s %s: %zu files checked, repaired\n",
                layout.root().c_str(), r.version.c_str(), r.checked);
  }
  return 0;
}

}  // namespace upkeep::cli

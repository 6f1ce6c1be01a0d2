// `upkeep release DIR --version V ...`: publishes a build folder into the
// repository as a signed release (package.zip + files.json + delta.zst targets).
#include <cstdio>
#include <filesystem>
#include <string>

#include "commands.h"
#include "upkeep/admin/desktop_entry.h"
#include "upkeep/base/cli_args.h"
#include "upkeep/base/error.h"
#include "upkeep/install/hook_spec.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/build_version.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/release_program.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/update/progress_display.h"

namespace upkeep::cli {

namespace {

const char* kReleaseUsage =
    "usage: upkeep release DIR --version V | --version-from REL/PATH [options]\n"
    "\n"
    "Publishes the build folder DIR as version V: writes files.json,\n"
    "package.zip and delta.zst (files.json and the list of blobs and patches,\n"
    "zstd-compressed together: all a delta update fetches besides them) into\n"
    "the repository and re-signs targets, snapshot and timestamp. A version\n"
    "that is already released is refused.\n"
    "\n"
    "  --version V    release version (SemVer 1.2.3 or dotted numbers 10.0.1)\n"
    "  --version-from REL/PATH  instead of --version: the version the file\n"
    "                 DIR/REL/PATH states: a program file's (a Windows exe/dll's\n"
    "                 VERSIONINFO, an APK's versionName, an ELF program's\n"
    "                 .note.upkeep.version; as `upkeep version-of` prints it),\n"
    "                 else its first line (a VERSION file). It must lie inside DIR\n"
    "  --program REL/PATH  the program the launcher starts, a file of DIR with an\n"
    "                 x bit (or a relative link to one inside DIR), signed in\n"
    "                 files.json. Default: the one executable file at the top of\n"
    "                 DIR; with none or several, release refuses and lists them\n"
    "  --arg ARG      an argument the launcher passes before the user's\n"
    "                 (repeatable, in order)\n"
    "  --health RULE  when a new version's first start counts as healthy:\n"
    "                 confirm    the app confirms (embeds the library or writes\n"
    "                            a byte to $UPKEEP_HEALTH_FD)\n"
    "                 running:N  alive N seconds (1-3600); default running:10\n"
    "                 exit       a command-line tool: any ordinary exit is\n"
    "                            healthy, only a failure to run counts\n"
    "  --channel C    release channel, default stable\n"
    "  --notes FILE   release notes (text file)\n"
    "  --platform P   target platform, default the build's (e.g. linux-x86_64)\n"
    "  --keys DIR     key folder, default ./keys\n"
    "  --repo DIR     repository folder, default ./repo\n"
    "  --app-id ID    application id, default the one in DIR/vendor.json\n"
    "  --expires R=D  metadata lifetime override per role, e.g. targets=30d\n"
    "                 (repeatable; default: DIR/vendor.json, else targets 90d,\n"
    "                 snapshot 7d, timestamp 1d)\n"
    "  --hook K=PATH  declare PATH, a file of DIR with an x bit, as the release's\n"
    "                 K hook (repeatable, one per kind), signed in files.json:\n"
    "                 install  after `upkeep install` put the version in place\n"
    "                          (failure: the install is undone)\n"
    "                 update   when the launcher first starts the version after\n"
    "                          an update (failure: rolled back at once)\n"
    "                 uninstall before `upkeep uninstall` removes the files\n"
    "                          (failure: reported, the uninstall goes on)\n"
    "                 It runs as `PATH K` in the version folder, stdin empty,\n"
    "                 with UPKEEP_HOOK, UPKEEP_ROOT, UPKEEP_VERSION (and for\n"
    "                 update UPKEEP_PREVIOUS_VERSION) set; exit 0 is success.\n"
    "                 A hook interrupted by a crash runs again at the next\n"
    "                 start: hooks must be idempotent.\n"
    "  --hook-timeout S  time limit of every hook, 1-3600 seconds, default 60;\n"
    "                 a hook still running then is killed with its process group\n"
    "  --delta-from N delta updates: every file is stored once as a zstd blob,\n"
    "                 and a changed file gets patches from its version in each of\n"
    "                 the N newest older releases (any channel), kept when at most\n"
    "                 95% of the blob; 0 to 100, default 3; 0 = blobs only\n"
    "  --no-delta     publish no delta.zst (clients download package.zip)\n"
    "  --name TEXT    the desktop shortcut's name, default the app id\n"
    "  --comment TEXT the shortcut's tooltip\n"
    "  --icon PATH    a file of DIR, a square PNG (16-512 px) or an SVG: the\n"
    "                 shortcut's icon, installed into the hicolor theme\n"
    "  --category C   a desktop menu category (repeatable), default Utility;\n"
    "                 one must be a main category (Office, Development, ...)\n"
    "  --rollout P    staged rollout: offer the release to P percent of the\n"
    "                 installations (0-100, default 100); raise it later with\n"
    "                 `upkeep rollout`. Manual checks and critical releases\n"
    "                 ignore it\n"
    "  --critical     mark the release critical: offered to every installation\n"
    "                 whatever its rollout\n"
    "\n"
    "When the repository has the latest link of the release's app, channel and\n"
    "platform (download/, made by `upkeep bundle`), a bundle of this release\n"
    "replaces it (docs/hosting.md, \"The latest link\").\n"
    "\n"
    "DIR may hold relative symlinks that resolve inside DIR (lib/libx.so.1 ->\n"
    "libx.so.1.0); they are signed with their target and made again on every\n"
    "machine. Absolute links and links that leave DIR are refused (exit 10).\n";

constexpr int kDefaultDeltaFrom = 3;
constexpr int kMaxDeltaFrom = 100;  // as in kReleaseUsage

// --hook KIND=PATH (repeatable) and --hook-timeout SECONDS. The paths are
// checked against the folder when its manifest is made (validate_hooks()).
std::vector<HookSpec> hooks_of(const CliArgs& cli) {
  const long long timeout = cli.int_value_or("hook-timeout", kDefaultHookTimeoutSeconds, 1, kMaxHookTimeoutSeconds);
  std::vector<HookSpec> hooks;
  for (const std::string& text : cli.values("hook")) {
    size_t eq = text.find('=');
    auto kind = eq == std::string::npos ? std::nullopt : parse_hook_kind(text.substr(0, eq));
    if (!kind || eq + 1 == text.size())
      fail(ErrorCode::kUsage, "--hook expects KIND=PATH with KIND one of " + std::string(hook_kind_choices()) +
                                  " and PATH a file of DIR, got '" + text + "'");
    for (const HookSpec& h : hooks)
      if (h.kind == *kind)
        fail(ErrorCode::kUsage, "--hook " + text.substr(0, eq) + "=... is given twice (one per kind)");
    hooks.push_back({*kind, text.substr(eq + 1), timeout});
  }
  if (hooks.empty() && cli.value("hook-timeout"))
    fail(ErrorCode::kUsage, "--hook-timeout needs at least one --hook KIND=PATH");
  return hooks;
}

// --delta-from N / --no-delta as ReleaseInfo::delta_from (negative: none).
int delta_from_of(const CliArgs& cli) {
  if (cli.flag("no-delta")) {
    if (cli.value("delta-from"))
      fail(ErrorCode::kUsage, "--no-delta and --delta-from N exclude each other (give one of them)");
    return -1;
  }
  return static_cast<int>(cli.int_value_or("delta-from", kDefaultDeltaFrom, 0, kMaxDeltaFrom));
}

std::string sizes(uint64_t bytes) {
  char buf[48];
  if (bytes < 10000)
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
  else if (bytes < 10000000)
    std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(bytes) / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// --name/--comment/--icon/--category as the release's desktop metadata
// (null when none is given: installs then use the defaults).
Json desktop_of(const CliArgs& cli, const std::string& app_id, const std::filesystem::path& dir) {
  if (!cli.value("name") && !cli.value("comment") && !cli.value("icon") && cli.values("category").empty())
    return Json(nullptr);
  admin::DesktopEntry e;
  e.app_id = app_id;
  e.name = cli.value_or("name", app_id);
  e.comment = cli.value_or("comment", "");
  if (auto icon = cli.value("icon")) {
    e.icon_path = *icon;
    admin::icon_kind(dir / *icon);  // a PNG of a theme size or an SVG, or a clear error now
  }
  e.categories = cli.values("category");
  if (e.categories.empty()) e.categories = {"Utility"};
  return e.to_metadata();
}

// --version V, or --version-from REL/PATH: the version that file of DIR states (exactly one of them).
std::string version_of(const CliArgs& cli, const std::filesystem::path& dir) {
  auto version = cli.value("version");
  auto from = cli.value("version-from");
  if (version && from)
    fail(ErrorCode::kUsage, "release: --version and --version-from exclude each other (give one of them)");
  if (version) return *version;
  if (!from)
    fail(ErrorCode::kUsage, std::string("release: missing --version V or --version-from REL/PATH\n\n") + kReleaseUsage);
  const fileinfo::ProgramVersion v = publish::BuildVersion::read(dir, *from);
  std::printf("version %s from %s (%s, %s)\n", v.version.c_str(), from->c_str(), v.kind.c_str(), v.source.c_str());
  return v.version;
}

// "program: hello (the only executable at the top of DIR)", its arguments and health rule.
void print_program(const publish::ReleaseProgram& p, const std::filesystem::path& dir) {
  std::printf("  program: %s%s\n", p.launch.program.c_str(),
              p.only_executable ? (" (the only executable at the top of " + dir.string() + ")").c_str() : "");
  for (const std::string& a : p.launch.args) std::printf("    argument: %s\n", a.c_str());
  std::printf("    health: %s\n", p.launch.health.to_string().c_str());
}

}  // namespace

int cmd_release(const Args& args) {
  CliArgs cli(args,
              {.flags = {"help", "no-delta", "critical"},
               .values = {"version", "version-from", "channel", "notes", "platform", "keys", "repo", "app-id",
                          "hook-timeout", "delta-from", "name", "comment", "icon", "rollout", "program", "health"},
               .multi = {"expires", "hook", "category", "arg"},
               .max_positional = 1});
  if (cli.flag("help")) {
    std::fputs(kReleaseUsage, stdout);
    return 0;
  }
  if (cli.positional().empty()) fail(ErrorCode::kUsage, std::string("release: missing DIR\n\n") + kReleaseUsage);
  const std::filesystem::path dir = cli.positional().front();
  const std::string version = version_of(cli, dir);

  const publish::ReleaseProgram program = publish::ReleaseProgram::declare(dir, cli.value("program"), cli.values("arg"),
                                                                           cli.value_or("health", "running:10"));
  publish::KeyStore store = publish::KeyStore::open(cli.value_or("keys", "keys"));
  publish::ReleaseInfo info;
  info.app_id = cli.value_or("app-id", store.app_id());
  info.version = version;
  info.channel = cli.value_or("channel", "stable");
  info.platform = cli.value_or("platform", build_platform());
  if (auto notes = cli.value("notes")) info.notes = fs::read_file(*notes, 1 << 20);
  info.hooks = hooks_of(cli);
  info.delta_from = delta_from_of(cli);
  info.desktop = desktop_of(cli, info.app_id, dir);
  info.launch = program.launch;
  info.rollout = static_cast<int>(cli.int_value_or("rollout", 100, 0, 100));
  info.critical = cli.flag("critical");

  const std::filesystem::path repo_dir = cli.value_or("repo", "repo");
  publish::Expiries expiries = store.expiries();
  for (const auto& text : cli.values("expires")) expiries = publish::apply_expiry_overrides(text, expiries);
  publish::RepositoryPublisher publisher(repo_dir, store, expiries);
  // "delta  25% [#####     ] 3 of 12 files" redrawn on a terminal; nothing otherwise (progress_display.h).
  ProgressDisplay delta(ProgressDisplay::for_stderr(false), "delta", ProgressMeter::Unit::kFiles);
  publish::PublishedRelease r =
      publisher.publish_release(dir, info, [&delta](size_t done, size_t total) { delta.update(done, total); });
  delta.finish();
  auto timestamp = publisher.current_timestamp();
  std::printf("released %s %s (%s, channel %s): %zu files\n", info.app_id.c_str(), info.version.c_str(),
              info.platform.c_str(), info.channel.c_str(), r.file_count);
  std::printf("  %s  %llu bytes  sha256 %s\n", r.package_target.c_str(),
              static_cast<unsigned long long>(r.package_length), r.package_sha256.c_str());
  std::printf("  %s\n", r.manifest_target.c_str());
  print_program(program, dir);
  if (info.rollout < 100 || info.critical)
    std::printf("  rollout %d%%%s\n", info.rollout, info.critical ? ", critical (offered to every installation)" : "");
  if (!r.delta_target.empty()) {
    const publish::DeltaStats& d = r.delta;
    std::printf("  %s  %zu contents: %zu blobs new (%s), %zu reused, %s in all\n", r.delta_target.c_str(), d.contents,
                d.blobs_written, sizes(d.blob_bytes_written).c_str(), d.blobs_reused, sizes(d.blob_bytes).c_str());
    if (info.delta_from == 0)
      std::printf("    no patches (--delta-from 0)\n");
    else
      std::printf("    %zu patches kept of %zu computed (%s)\n", d.patches_kept, d.patches_computed,
                  sizes(d.patch_bytes).c_str());
  }
  for (const HookSpec& h : info.hooks)
    std::printf("  %s hook: %s (time limit %lld s)\n", hook_kind_name(h.kind), h.path.c_str(),
                static_cast<long long>(h.timeout_seconds));
  std::printf("  timestamp version %lld, snapshot version %lld\n", static_cast<long long>(timestamp.version),
              static_cast<long long>(timestamp.snapshot.version));
  refresh_latest_after_release(repo_dir, {info.app_id, info.version, info.platform, info.channel});
  return 0;
}

}  // namespace upkeep::cli

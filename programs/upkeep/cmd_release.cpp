// `upkeep release DIR --version V ...`: publishes a build folder into the
// repository as a signed release (package.zip + files.json + delta.zst targets).
#include <cstdio>
#include <filesystem>
#include <string>

#include "commands.h"
#include "upkeep/admin/desktop_entry.h"
#include "upkeep/base/command_line.h"
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

// The release's hooks.
void add_hook_options(CommandLine& c) {
  c.repeated("hook", "K=PATH",
             "declare PATH, a file of DIR with an x bit, as the release's K hook (one per kind), signed in "
             "files.json: install (after `upkeep install` put the version in place; failure: the install is "
             "undone), update (when the launcher first starts the version after an update; failure: rolled "
             "back at once), uninstall (before `upkeep uninstall` removes the files; failure: reported, the "
             "uninstall goes on)")
      .option("hook-timeout", "S",
              "time limit of every hook, 1-3600 seconds, default 60; a hook still running then is killed with its "
              "process group");
}

// The desktop shortcut's options.
void add_desktop_options(CommandLine& c) {
  c.option("name", "TEXT", "the desktop shortcut's name, default the app id")
      .option("comment", "TEXT", "the shortcut's tooltip")
      .option("icon", "PATH",
              "a file of DIR, a square PNG (16-512 px) or an SVG: the shortcut's icon, installed into the hicolor "
              "theme")
      .repeated("category", "C",
                "a desktop menu category (again for more), default Utility; one must be a main category (Office, "
                "Development, ...)");
}

CommandLine release_command_line() {
  CommandLine c("upkeep release",
                "Publishes the build folder DIR as version V: writes files.json,\n"
                "package.zip and delta.zst (files.json and the list of blobs and patches,\n"
                "zstd-compressed together: all a delta update fetches besides them) into\n"
                "the repository and re-signs targets, snapshot and timestamp. A version\n"
                "that is already released is refused.");
  c.usage("upkeep release DIR --version V | --version-from REL/PATH [options]")
      .arguments("DIR", "the build folder", 1, 1)
      .option("version", "V", "release version (SemVer 1.2.3 or dotted numbers 10.0.1)")
      .option("version-from", "REL/PATH",
              "instead of --version: the version the file DIR/REL/PATH states: a program file's (a Windows "
              "exe/dll's VERSIONINFO, an APK's versionName, an ELF program's .note.upkeep.version; as `upkeep "
              "version-of` prints it), else its first line (a VERSION file). It must lie inside DIR")
      .option("channel", "C", "release channel, default stable")
      .option("notes", "FILE", "release notes (text file)")
      .option("platform", "P", "target platform, default the build's (e.g. linux-x86_64)")
      .option("app-id", "ID", "application id, default the one in DIR/vendor.json");
  add_repository_options(c);
  add_program_options(c);
  add_hook_options(c);
  c.option("delta-from", "N",
           "delta updates: every file is stored once as a zstd blob, and a changed file gets patches from its "
           "version in each of the N newest older releases (any channel), kept when at most 95% of the blob; 0 to "
           "100, default 3; 0 = blobs only")
      .flag("no-delta", "publish no delta.zst (clients download package.zip)")
      .option("compression", "fast|default|max",
              "how hard package.zip and the blobs are compressed: fast (zstd 3, deflate 1: for test builds), "
              "default (zstd 16 tuned for machine code: blobs about 3.5% above max's in about half its time, "
              "docs/benchmarks.md), max (zstd 19). Patches always use the codecs' highest levels")
      .option("jobs", "N", "compress on N threads (1-256), default one per core, at most 8");
  add_desktop_options(c);
  c.option("rollout", "P",
           "staged rollout: offer the release to P percent of the installations (0-100, default 100); raise it "
           "later with `upkeep rollout`. Manual checks and critical releases ignore it")
      .flag("critical", "mark the release critical: offered to every installation whatever its rollout")
      .flag("json", "print the result as one JSON object")
      .footer(
          "A hook runs as `PATH K` in the version folder, stdin empty, with UPKEEP_HOOK,\n"
          "UPKEEP_ROOT, UPKEEP_VERSION (and for update UPKEEP_PREVIOUS_VERSION) set; exit 0\n"
          "is success. A hook interrupted by a crash runs again at the next start: hooks\n"
          "must be idempotent.\n"
          "\n"
          "When the repository has the latest link of the release's app, channel and\n"
          "platform (download/, made by `upkeep bundle`), a bundle of this release\n"
          "replaces it (docs/hosting.md, \"The latest link\").\n"
          "\n"
          "DIR may hold relative symlinks that resolve inside DIR (lib/libx.so.1 ->\n"
          "libx.so.1.0); they are signed with their target and made again on every\n"
          "machine. Absolute links and links that leave DIR are refused (exit 10).");
  return c;
}

constexpr int kDefaultDeltaFrom = 3;
constexpr int kMaxDeltaFrom = 100;  // as --delta-from's help says

// --hook KIND=PATH (repeatable) and --hook-timeout SECONDS. The paths are
// checked against the folder when its manifest is made (validate_hooks()).
std::vector<HookSpec> hooks_of(const ParsedArgs& cli) {
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

// --compression fast|default|max.
publish::CompressionPreset compression_of(const ParsedArgs& cli) {
  const std::string name = cli.value_or("compression", "default");
  auto p = publish::parse_compression_preset(name);
  if (!p)
    fail(ErrorCode::kUsage,
         "--compression expects one of " + std::string(publish::compression_preset_choices()) + ", got '" + name + "'");
  return *p;
}

// --delta-from N / --no-delta as ReleaseInfo::delta_from (negative: none).
int delta_from_of(const ParsedArgs& cli) {
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
Json desktop_of(const ParsedArgs& cli, const std::string& app_id, const std::filesystem::path& dir) {
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
std::string version_of(const ParsedArgs& cli, const std::filesystem::path& dir) {
  auto version = cli.value("version");
  auto from = cli.value("version-from");
  if (version && from) fail(ErrorCode::kUsage, "--version and --version-from exclude each other (give one of them)");
  if (version) return *version;
  if (!from)
    fail(ErrorCode::kUsage, "missing --version V or --version-from REL/PATH (upkeep release --help lists the options)");
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

// What `release` did, for a person.
void print_release(const publish::ReleaseInfo& info, const publish::PublishedRelease& r,
                   const publish::ReleaseProgram& program, const std::filesystem::path& dir,
                   const tuf::TimestampMetadata& timestamp) {
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
}

// What `release --json` prints: the release by app_id, version, platform, as every command names one.
Json release_json(const publish::ReleaseInfo& info, const publish::PublishedRelease& r, int64_t timestamp_version) {
  Json j = Json::object();
  j["app_id"] = info.app_id;
  j["version"] = info.version;
  j["platform"] = info.platform;
  j["channel"] = info.channel;
  j["files"] = static_cast<uint64_t>(r.file_count);
  j["package"] = r.package_target;
  j["package_sha256"] = r.package_sha256;
  j["package_length"] = static_cast<uint64_t>(r.package_length);
  j["manifest"] = r.manifest_target;
  j["delta"] = r.delta_target.empty() ? Json(nullptr) : Json(r.delta_target);
  j["rollout"] = static_cast<int64_t>(info.rollout);
  j["critical"] = info.critical;
  j["timestamp_version"] = timestamp_version;
  return j;
}

}  // namespace

int cmd_release(const Args& args) {
  const ParsedArgs cli = release_command_line().parse(args);
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
  info.compression = compression_of(cli);
  info.threads = static_cast<unsigned>(cli.int_value_or("jobs", 0, 1, 256));

  const std::filesystem::path repo_dir = cli.value_or("repo", "repo");
  publish::Expiries expiries = store.expiries();
  for (const auto& text : cli.values("expires")) expiries = publish::apply_expiry_overrides(text, expiries);
  publish::RepositoryPublisher publisher(repo_dir, store, expiries);
  // "delta  25% [#####     ] 3 of 12" (each blob, then the patches of each new file) redrawn on a
  // terminal; nothing otherwise (progress_display.h).
  ProgressDisplay delta(cli.flag("json") ? ProgressDisplay::Mode::kOff : ProgressDisplay::for_stderr(false), "delta",
                        ProgressMeter::Unit::kSteps);
  publish::PublishedRelease r =
      publisher.publish_release(dir, info, [&delta](size_t done, size_t total) { delta.update(done, total); });
  delta.finish();
  const auto timestamp = publisher.current_timestamp();
  if (cli.flag("json"))
    std::printf("%s\n", release_json(info, r, timestamp.version).dump(0).c_str());
  else
    print_release(info, r, program, dir, timestamp);
  refresh_latest_after_release(repo_dir, {info.app_id, info.version, info.platform, info.channel});
  return 0;
}

}  // namespace upkeep::cli

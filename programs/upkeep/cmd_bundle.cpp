// `upkeep bundle --version V -o FILE`: one self-contained file that installs
// one release with no network (upkeep/admin/offline_bundle.h).
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/admin/latest_bundle.h"
#include "upkeep/admin/offline_bundle.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/platform/fs.h"
#include "upkeep/update/progress_display.h"

namespace upkeep::cli {
namespace {

CommandLine bundle_command_line() {
  CommandLine c("upkeep bundle",
                "Writes one executable file that installs version V with no network: the\n"
                "release's package and manifest, the repository's signed metadata, the\n"
                "launcher and the updater, behind this program. Run it on the target machine\n"
                "(`./FILE --silent`, `./FILE --system --silent`, any `upkeep install` option)\n"
                "or pass it to `upkeep install --bundle FILE`. Everything it copies is\n"
                "verified against the repository's signatures first.");
  c.usage(
       "upkeep bundle --version V -o FILE|--output FILE [--repo DIR|URL] [--update-url URL]\n"
       "              [--app-id ID] [--platform P] [--trusted-root FILE] [--credentials FILE] [--json] [--verbose]")
      .option("version", "V", "the released version to bundle")
      .option("-o,--output", "FILE", "the bundle to write")
      .option("repo", "DIR|URL", "the repository to read (default ./repo)")
      .option("update-url", "URL",
              "where installed copies check for updates (default: --repo when it is an http(s) or sftp URL; "
              "required for a folder)")
      .option("app-id", "ID", "needed when the repository holds several applications")
      .option("platform", "P", "the release's platform (default: this build's)")
      .option("trusted-root", "FILE", "the vendor's root.json to verify the repository with")
      .option("credentials", "FILE", "the repository's credentials (a 0600 credentials file)")
      .option("program", "FILE", "the upkeep program the bundle runs as (default: this upkeep)")
      .option("launcher", "FILE", "the launcher it installs (default: the one beside this upkeep)")
      .option("updater", "FILE", "the updater it installs (default: the upkeep-updater beside this upkeep)")
      .flag("no-latest",
            "with --repo DIR: leave DIR/download/ alone (by default a bundle newer than the one there becomes the "
            "stable link download/APP-latest-PLATFORM, APP-CHANNEL-latest-PLATFORM off the stable channel; `upkeep "
            "release` keeps it current)")
      .flag("json", "print the result as one JSON object (and no progress)")
      .flag("verbose", "when stderr is no terminal, one progress line when done")
      .footer(
          "Exit codes: 0 written; 2 bad command line; 5 the repository's metadata or a\n"
          "file did not verify; 6 network; 7 no space; 9 no such version; 15 the repository\n"
          "refused the credentials (or wants some); 1 other.");
  return c;
}

bool is_http(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 || net::is_sftp_url(s);
}

// Where the bundle reads the release (--repo) and where installed copies
// look for updates (--update-url, or --repo when that is a web address).
void set_urls(const ParsedArgs& cli, admin::BundleOptions& o) {
  const std::string repo = cli.value_or("repo", "repo");
  if (is_http(repo) || repo.rfind("file://", 0) == 0) {
    o.repository_url = repo;
  } else {
    if (!std::filesystem::is_directory(repo))
      fail(ErrorCode::kNotFound, "bundle: the repository folder " + repo + " does not exist (--repo DIR|URL)");
    o.repository_url = "file://" + std::filesystem::absolute(repo).lexically_normal().string();
  }
  if (o.repository_url.back() != '/') o.repository_url += '/';
  if (auto u = cli.value("update-url")) {
    if (!is_http(*u)) fail(ErrorCode::kUsage, "--update-url must be an http://, https:// or sftp:// URL, not " + *u);
    o.update_url = *u;
  } else if (is_http(repo)) {
    o.update_url = repo;
  } else {
    fail(ErrorCode::kUsage,
         "--update-url URL is needed: where installed copies check for updates (the repository's web "
         "address; --repo is a folder)");
  }
}

// The program the bundle runs as, and the launcher and updater it installs: given, else this upkeep's siblings.
void set_binaries(admin::BundleOptions& o, const std::optional<std::string>& program,
                  const std::optional<std::string>& launcher, const std::optional<std::string>& updater) {
  const auto here = fs::self_executable_path();
  o.program = program.value_or(here.string());
  o.launcher_binary = launcher.value_or((here.parent_path() / "launcher").string());
  o.updater_binary = updater.value_or((here.parent_path() / "upkeep-updater").string());
}

admin::BundleOptions options_of(const ParsedArgs& cli) {
  auto version = cli.value("version");
  auto output = cli.value("output");
  if (!version || !output)
    fail(ErrorCode::kUsage, "needs --version V and -o FILE (upkeep bundle --help lists the options)");
  admin::BundleOptions o;
  set_urls(cli, o);
  o.version = *version;
  o.app_id = cli.value("app-id");
  o.platform = cli.value_or("platform", build_platform());
  if (auto r = cli.value("trusted-root")) o.trusted_root = *r;
  o.output = *output;
  set_binaries(o, cli.value("program"), cli.value("launcher"), cli.value("updater"));
  return o;
}

// Writes the bundle; progress as `upkeep mirror` shows it (progress_display.h).
admin::BundleFacts write_bundle(admin::BundleOptions& o, net::Fetcher& fetcher, ProgressDisplay::Mode mode) {
  ProgressDisplay display(mode, "bundle");
  o.progress = [&display](size_t done, size_t known, uint64_t bytes) { display.update_files(done, known, bytes); };
  admin::BundleFacts f = admin::OfflineBundle::write(o, fetcher);
  display.finish();
  return f;
}

void print_result(const admin::BundleFacts& f, const std::filesystem::path& path,
                  const std::optional<std::filesystem::path>& latest, bool json) {
  const auto size = std::filesystem::file_size(path);
  if (json) {
    Json j = Json::object();
    j["bundle"] = path.string();
    j["bytes"] = static_cast<int64_t>(size);
    j["app_id"] = f.app_id;
    j["version"] = f.version;
    j["platform"] = f.platform;
    j["channel"] = f.channel;
    j["update_url"] = f.update_url;
    if (latest) j["latest"] = latest->string();
    std::printf("%s\n", j.dump(0).c_str());
  } else {
    std::printf("bundled %s %s (%s) into %s (%llu bytes)\ninstall it with: %s --silent\n", f.app_id.c_str(),
                f.version.c_str(), f.platform.c_str(), path.c_str(), static_cast<unsigned long long>(size),
                path.c_str());
    if (latest) std::printf("the latest link %s now serves it\n", latest->c_str());
  }
}

// The latest link of a bundle made from a repository folder (not with --no-latest, not from a URL).
std::optional<std::filesystem::path> refresh_latest(const ParsedArgs& cli, const admin::BundleOptions& o) {
  const std::string repo = cli.value_or("repo", "repo");
  if (cli.flag("no-latest") || is_http(repo) || repo.rfind("file://", 0) == 0) return std::nullopt;
  return admin::LatestBundle::refresh(repo, o.output);
}

}  // namespace

int cmd_bundle(const Args& args) {
  const ParsedArgs cli = bundle_command_line().parse(args);
  admin::BundleOptions o = options_of(cli);
  if (cli.flag("json")) init_logging({.program = "upkeep", .quiet = true});
  const auto fetcher = net::make_fetcher(net::with_credentials_file(cli.value("credentials")));
  const auto mode = cli.flag("json") ? ProgressDisplay::Mode::kOff : ProgressDisplay::for_stderr(cli.flag("verbose"));
  admin::BundleFacts f = write_bundle(o, *fetcher, mode);
  print_result(f, std::filesystem::absolute(o.output), refresh_latest(cli, o), cli.flag("json"));
  return 0;
}

void refresh_latest_after_release(const std::filesystem::path& repo_dir, const admin::BundleFacts& release) {
  std::filesystem::path link;
  try {
    link = admin::LatestBundle::path_of(repo_dir, release);
    if (!std::filesystem::exists(link) || !admin::LatestBundle::is_behind(repo_dir, release)) return;
    admin::BundleOptions o;
    o.repository_url = "file://" + std::filesystem::absolute(repo_dir).lexically_normal().string() + "/";
    o.update_url = admin::OfflineBundle::open(link).facts().update_url;  // where the link's installs update from
    o.version = release.version;
    o.app_id = release.app_id;
    o.platform = release.platform;
    o.channel = release.channel;
    set_binaries(o, std::nullopt, std::nullopt, std::nullopt);
    const fs::RemoveTreeOnExit work(fs::make_temp_dir("upkeep-latest-"));
    o.output = work.path() / "bundle";
    const auto fetcher = net::make_fetcher({});
    admin::OfflineBundle::write(o, *fetcher);
    admin::LatestBundle::refresh(repo_dir, o.output);
    std::printf("  latest link %s refreshed\n", link.c_str());
  } catch (const Error& e) {
    std::fprintf(stderr, "release: warning: the latest link %s was not refreshed: %s\n", link.c_str(), e.what());
  }
}

}  // namespace upkeep::cli

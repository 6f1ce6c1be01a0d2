// `upkeep watch BUILD_DIR`: releases a build folder into the repository
// each time it has been quiet for a while after a change, and optionally
// copies the repository to a web server's folder or runs a command
// (lib/upkeep/watch/build_watch.h). Runs until SIGINT/SIGTERM, or one round
// with --once.
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/exit_codes.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/termination.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"
#include "upkeep/watch/build_watch.h"
#include "upkeep/watch/exec_command.h"
#include "upkeep/watch/local_folder_destination.h"
#include "upkeep/watch/publish_directory.h"
#include "upkeep/watch/repository_release.h"
#include "upkeep/watch/sftp_destination.h"

namespace upkeep::cli {

namespace {

namespace stdfs = std::filesystem;

CommandLine watch_command_line() {
  CommandLine c("upkeep watch",
                "Watches the build folder BUILD_DIR (and every folder below it, also those\n"
                "made later) and, once it has been quiet for --debounce ms after a change,\n"
                "releases it into the repository as `upkeep release` does, unless its files\n"
                "equal the newest release. Then copies the repository to --publish DIR and\n"
                "runs --exec COMMAND. A failed round is reported and tried again after the\n"
                "next change (or a growing backoff); the watch goes on. Stops on Ctrl-C or\n"
                "SIGTERM.");
  c.usage("upkeep watch BUILD_DIR [options]")
      .arguments("BUILD_DIR", "the build folder", 1, 1)
      .option("keys", "DIR", "key folder, default ./keys")
      .option("repo", "DIR", "repository folder (initialized), default ./repo")
      .repeated("include", "GLOB",
                "only changes to matching paths count (again for more; default all). Globs match the path "
                "relative to BUILD_DIR: * (not /), ** (any), **/ (any folders), ?, [a-z], [!a-z]")
      .repeated("exclude", "GLOB",
                "changes to matching paths never count (wins over --include), e.g. 'obj/**' '**/*.tmp'. Filters "
                "choose what triggers a release; the release is the whole folder")
      .option("debounce", "MS", "quiet time before acting, 10-3600000, default 2000")
      .option("version", "V",
              "the first version when the repository holds no release of the app and platform (default 0.0.1); "
              "later ones are the next patch after the newest (1.4.2 -> 1.4.3)")
      .option("version-from", "REL/PATH",
              "instead, the version this file of BUILD_DIR states: an exe, dll, apk or ELF program's (as `upkeep "
              "version-of`), else its first line (a VERSION file)")
      .option("publish", "DIR|sftp://[user@]host[:port]/PATH",
              "after each release copy the repository into DIR (a web server's folder) or PATH on an SFTP server: "
              "targets first, timestamp.json last, each file under a temporary name renamed into place")
      .option("credentials", "FILE",
              "the SFTP server's login and known_hosts (a 0600 credentials file, docs/admin-guide.md)")
      .option("exec", "COMMAND",
              "after each release run COMMAND with /bin/sh -c, with UPKEEP_WATCH_REPO, UPKEEP_WATCH_BUILD and "
              "UPKEEP_WATCH_VERSION set; exit 0 is success")
      .flag("once",
            "wait for the first change and quiet period, act, exit (exit code of the failure if that "
            "round fails)")
      .flag("json", "one JSON object per line: watching, then one per round")
      .option("channel", "C", "as for `upkeep release`")
      .option("app-id", "ID", "as for `upkeep release`")
      .option("platform", "P", "as for `upkeep release`");
  add_program_options(c);
  c.flag("no-delta", "as for `upkeep release`");
  return c;
}

// "/a/b" is "/a" or below it (both made absolute and normal first).
bool inside(const stdfs::path& path, const stdfs::path& dir) {
  const stdfs::path p = stdfs::weakly_canonical(stdfs::absolute(path));
  const stdfs::path d = stdfs::weakly_canonical(stdfs::absolute(dir));
  auto [end, rest] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  return end == d.end();
}

void refuse_inside(const ParsedArgs& cli, const char* option, const stdfs::path& build_dir) {
  auto v = cli.value(option);
  if (v && inside(*v, build_dir))
    fail(ErrorCode::kUsage, std::string("--") + option + " " + *v + " is inside the watched folder " +
                                build_dir.string() + "; expected a folder outside it (each release would change it)");
}

watch::ReleaseSettings release_settings(const ParsedArgs& cli, const publish::KeyStore& store) {
  watch::ReleaseSettings s;
  s.info.app_id = cli.value_or("app-id", store.app_id());
  s.info.channel = cli.value_or("channel", "stable");
  s.info.platform = cli.value_or("platform", build_platform());
  if (cli.flag("no-delta")) s.info.delta_from = -1;
  s.program = cli.value("program");
  s.args = cli.values("arg");
  s.health = cli.value_or("health", "running:10");
  s.first_version = cli.value_or("version", "0.0.1");
  return s;
}

std::vector<std::unique_ptr<watch::ReleaseHandler>> handlers_of(const ParsedArgs& cli, const publish::KeyStore& store,
                                                                const stdfs::path& repo) {
  std::vector<std::unique_ptr<watch::ReleaseHandler>> h;
  watch::VersionSource version_from;
  if (auto rel = cli.value("version-from")) version_from = watch::version_from_file(*rel);
  h.push_back(std::make_unique<watch::RepositoryRelease>(repo, store, store.expiries(), release_settings(cli, store),
                                                         version_from));
  if (auto dest = cli.value("publish")) {
    std::unique_ptr<watch::PublishDestination> to;
    if (net::is_sftp_url(*dest))
      to = std::make_unique<watch::SftpDestination>(*dest,
                                                    net::with_credentials_file(cli.value("credentials")).credentials);
    else if (dest->find("://") != std::string::npos)
      fail(ErrorCode::kUsage, "--publish " + *dest + ": expected a folder or an sftp:// URL");
    else
      to = std::make_unique<watch::LocalFolderDestination>(stdfs::absolute(*dest));
    h.push_back(std::make_unique<watch::PublishDirectory>(repo, std::move(to)));
  }
  if (auto command = cli.value("exec")) h.push_back(std::make_unique<watch::ExecCommand>(*command));
  return h;
}

Json round_json(const watch::RoundReport& r) {
  Json j = Json::object();
  j["event"] = r.error ? "failed" : r.round.released ? "released" : "unchanged";
  j["version"] = r.round.version;
  j["files"] = static_cast<uint64_t>(r.round.file_count);
  j["changed"] = static_cast<uint64_t>(r.round.changed);
  if (r.round.released) j["timestamp_version"] = r.round.timestamp_version;
  Json steps = Json::array();
  for (const auto& s : r.round.steps) {
    Json step = s.facts;
    step["handler"] = s.handler;
    steps.push_back(step);
  }
  j["steps"] = steps;
  if (r.error) {
    j["handler"] = r.failed_handler;
    j["error"] = error_json(r.error->code(), r.error->what()).at("error");  // the one error shape
    j["retry_in_ms"] = static_cast<int64_t>(r.retry_in.count());
  }
  return j;
}

void report_round(const watch::RoundReport& r, bool json) {
  if (json) {
    std::printf("%s\n", round_json(r).dump(0).c_str());
  } else {
    for (const auto& s : r.round.steps) std::printf("%s\n", s.text.c_str());
  }
  std::fflush(stdout);
  if (r.error)
    spdlog::error("watch: {} failed: {}; trying again after the next change or in {} s", r.failed_handler,
                  r.error->what(), (r.retry_in.count() + 999) / 1000);
}

int run_watch(const ParsedArgs& cli) {
  const bool json = cli.flag("json");
  if (json) init_logging({.program = "upkeep", .quiet = true});
  const stdfs::path build_dir = stdfs::absolute(cli.positional().front());
  const stdfs::path repo = stdfs::absolute(cli.value_or("repo", "repo"));
  refuse_inside(cli, "repo", build_dir);
  refuse_inside(cli, "keys", build_dir);
  refuse_inside(cli, "publish", build_dir);
  if (!cli.value("repo") && inside(repo, build_dir))
    fail(ErrorCode::kUsage,
         "the default --repo ./repo is inside "
         "the watched folder; name one outside it");
  if (!publish::RepositoryPublisher::is_initialized(repo))
    fail(ErrorCode::kNotFound, repo.string() + ": not a repository; expected one made by `upkeep keys init`");
  watch::BuildWatchOptions o;
  o.build_dir = build_dir;
  o.filter = watch::PathFilter(cli.values("include"), cli.values("exclude"));
  o.debounce = std::chrono::milliseconds(cli.int_value_or("debounce", 2000, 10, 3600000));
  o.once = cli.flag("once");
  const publish::KeyStore store = publish::KeyStore::open(cli.value_or("keys", "keys"));
  auto handlers = handlers_of(cli, store, repo);

  block_termination_requests();  // before any thread, so only the signal thread below takes them
  auto watch = std::make_shared<watch::BuildWatch>(o, std::move(handlers),
                                                   [json](const watch::RoundReport& r) { report_round(r, json); });
  // Blocked in sigwait until a signal; it keeps `watch` and `request` alive while it needs them. It only
  // stops the watch: a signal may come while main() returns, after spdlog and stdio are gone.
  auto request = std::make_shared<std::atomic<const char*>>(nullptr);
  std::thread([watch, request] {
    request->store(wait_for_termination_request());
    watch->stop();
  }).detach();

  if (json) {
    Json j = Json::object();
    j["event"] = "watching";
    j["build_dir"] = build_dir.string();
    j["repo"] = repo.string();
    j["folders"] = static_cast<uint64_t>(watch->watched_folders());
    std::printf("%s\n", j.dump(0).c_str());
  } else {
    const size_t folders = watch->watched_folders();
    std::printf("watching %s (%zu folder%s): releases into %s after %lld ms of quiet\n", build_dir.c_str(), folders,
                folders == 1 ? "" : "s", repo.c_str(), static_cast<long long>(o.debounce.count()));
  }
  std::fflush(stdout);
  watch->run();
  if (const char* signal = request->load()) spdlog::info("watch: {} received, stopped", signal);
  return 0;
}

}  // namespace

int cmd_watch(const Args& args) {
  return run_watch(watch_command_line().parse(args));  // a failure: run_command() prints it as JSON with --json
}

}  // namespace upkeep::cli

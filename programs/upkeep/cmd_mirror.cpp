// `upkeep mirror SOURCE_URL DIR`: copies a repository, verified against its
// signed metadata, into DIR for hosting inside a network
// (upkeep/publish/repository_mirror.h). Progress: update/progress_display.h.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/repository_mirror.h"
#include "upkeep/update/progress_display.h"

namespace upkeep::cli {

namespace {

CommandLine mirror_command_line() {
  CommandLine c("upkeep mirror",
                "Copies the repository at SOURCE_URL (http://, https://, sftp:// or file://) into DIR:\n"
                "its signed metadata, verified with the TUF client workflow, and every target\n"
                "it references (packages, manifests, delta bundles and their blobs and\n"
                "patches), each checked against its signed length and SHA-256. Serve DIR with\n"
                "any static web server or `upkeep serve DIR` and install clients with\n"
                "--repo at it (config.json's repository): they still verify every signature.\n"
                "A re-run fetches only what DIR lacks; a failed run leaves DIR's metadata\n"
                "as it was.");
  c.usage("upkeep mirror SOURCE_URL DIR [--trusted-root FILE] [--credentials FILE] [--json] [--quiet] [--verbose]")
      .arguments("SOURCE_URL DIR", "the repository to copy and the folder to copy it into", 2, 2)
      .option("trusted-root", "FILE",
              "the vendor's root.json to start from on the first run (default: trust the source's 1.root.json on "
              "first use)")
      .option("credentials", "FILE",
              "the source's credentials (a 0600 credentials file, docs/admin-guide.md \"Repositories behind "
              "credentials\")")
      .flag("json", "print the result as one JSON object")
      .flag("quiet", "no progress and no summary")
      .flag("verbose", "when stderr is no terminal, one progress line when done")
      .footer(
          "Exit codes: 0 mirrored; 2 bad command line; 5 a file did not match its\n"
          "signed metadata (named on stderr); 6 network; 7 no space; 15 the source refused\n"
          "the credentials (or wants some); 1 other.");
  return c;
}

}  // namespace

int cmd_mirror(const Args& args) {
  const ParsedArgs cli = mirror_command_line().parse(args);
  const bool quiet = cli.flag("quiet") || cli.flag("json");
  if (quiet) init_logging({.program = "upkeep", .quiet = true});

  publish::MirrorOptions o;
  o.source_url = cli.positional()[0];  // RepositoryMirror adds the final '/'
  o.dir = cli.positional()[1];
  if (auto r = cli.value("trusted-root")) o.trusted_root = *r;
  ProgressDisplay display(quiet ? ProgressDisplay::Mode::kOff : ProgressDisplay::for_stderr(cli.flag("verbose")),
                          "mirror");
  const auto fetcher = net::make_fetcher(net::with_credentials_file(cli.value("credentials")));
  publish::RepositoryMirror mirror(
      o, *fetcher, [&display](size_t done, size_t known, uint64_t bytes) { display.update_files(done, known, bytes); });
  const std::string source = mirror.source_url();
  const publish::MirrorResult r = mirror.run();
  display.finish();
  if (cli.flag("json")) {
    Json j = Json::object();
    j["source"] = source;
    j["dir"] = std::filesystem::absolute(o.dir).string();
    j["root_version"] = r.root_version;
    j["timestamp_version"] = r.timestamp_version;
    j["snapshot_version"] = r.snapshot_version;
    j["targets_version"] = r.targets_version;
    j["files"] = static_cast<uint64_t>(r.files);
    j["fetched"] = static_cast<uint64_t>(r.fetched);
    j["present"] = static_cast<uint64_t>(r.present);
    j["bytes_total"] = r.bytes_total;
    j["bytes_fetched"] = r.bytes_fetched;
    j["metadata_written"] = static_cast<uint64_t>(r.metadata_written);
    j["trusted_on_first_use"] = r.trusted_on_first_use;
    std::printf("%s\n", j.dump(0).c_str());
  } else if (!quiet) {
    if (r.trusted_on_first_use)
      std::printf("note: trusted the source's root keys on first use; pin them with --trusted-root\n");
    std::printf("mirrored %s into %s: %zu files (%zu fetched, %zu already present), %llu bytes fetched of %llu\n",
                source.c_str(), o.dir.c_str(), r.files, r.fetched, r.present,
                static_cast<unsigned long long>(r.bytes_fetched), static_cast<unsigned long long>(r.bytes_total));
    std::printf("  timestamp version %lld, snapshot version %lld, targets version %lld, root version %lld\n",
                static_cast<long long>(r.timestamp_version), static_cast<long long>(r.snapshot_version),
                static_cast<long long>(r.targets_version), static_cast<long long>(r.root_version));
  }
  return 0;
}

}  // namespace upkeep::cli

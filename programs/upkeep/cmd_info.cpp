// `upkeep info [URL]`: what a repository says about itself, signed facts
// apart from the server's own word (upkeep/update/repository_report.h).
#include <cstdio>
#include <filesystem>
#include <optional>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/base/trailing_slash.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/fs.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/repository/repository_trust.h"
#include "upkeep/update/progress_meter.h"
#include "upkeep/update/repository_report.h"
#include "upkeep/update/update_service.h"

namespace upkeep::cli {

namespace {

CommandLine info_command_line() {
  CommandLine c("upkeep info",
                "Shows what the repository at URL (http://, https://, sftp:// or file://) says about\n"
                "itself. Signed, verified with the TUF client workflow: the versions of its\n"
                "metadata, when its timestamp expires, and the newest release of each app,\n"
                "platform and channel with its time, package size, notes and modules (each\n"
                "file with its size, SHA-256 and, for exe, dll, apk and ELF files, the\n"
                "version read at release time). Unsigned, the server's own word: its clock,\n"
                "when timestamp.json last changed, its software. Nothing is installed.");
  c.usage(
       "upkeep info URL [--trusted-root FILE] [--credentials FILE] [--json]\n"
       "upkeep info [URL] --app-id ID [--system] | --prefix DIR [--json]")
      .arguments("URL", "the repository (default: the installation's)", 0, 1)
      .option("trusted-root", "FILE",
              "the vendor's root.json to verify with (default: the repository's 1.root.json, trusted on first use)");
  add_install_root_options(c);
  c.option("credentials", "FILE",
           "the repository's credentials (a 0600 credentials file, docs/admin-guide.md \"Repositories behind "
           "credentials\")")
      .flag("json", "print one JSON object (on failure too: the error object, docs/admin-guide.md)")
      .footer(
          "--app-id ID or --prefix DIR: an installation: its repository (when URL is not given), its trusted\n"
          "root, mirrors, proxy and credentials.\n"
          "\n"
          "Exit codes: 0 shown; 2 bad command line; 5 metadata or a manifest did not\n"
          "verify; 6 network; 9 no such installation; 15 refused: credentials; 1 other.");
  return c;
}

struct Source {
  std::string url;
  std::optional<std::filesystem::path> trusted_root;
  std::vector<std::string> mirrors;  // an installation's, after the repository
  std::string trust_note;
  net::FetchOptions fetch;  // an installation's proxy and credentials, or --credentials
};

// Where to look and what to trust: the command line, else an installation's.
Source source_from(const ParsedArgs& cli) {
  Source s;
  if (!cli.positional().empty()) s.url = with_trailing_slash(cli.positional()[0]);
  if (cli.value("app-id") || cli.value("prefix")) {
    const Layout layout(install_root_from(cli, "info"));
    if (!std::filesystem::exists(layout.config_file()))
      fail(ErrorCode::kNotFound, "info: " + layout.root().string() + " is not an installation (no config.json)");
    const Config config = Config::load(layout.config_file());
    const UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
    const MirrorList sources = settings.repository_sources();
    if (s.url.empty()) s.url = sources.urls().front();
    for (const auto& u : sources.urls())
      if (u != s.url) s.mirrors.push_back(u);
    s.trusted_root = layout.trust_dir() / "root.json";
    s.fetch = fetch_options(layout, config, settings);
    s.trust_note = "verified with the installation's trusted root";
  }
  if (cli.value("credentials")) s.fetch = net::with_credentials_file(cli.value("credentials"), s.fetch);
  if (auto r = cli.value("trusted-root")) {
    s.trusted_root = *r;
    s.trust_note = "verified with the root in " + *r;
  }
  if (s.url.empty())
    fail(ErrorCode::kUsage, "needs URL, --app-id ID or --prefix DIR (upkeep info --help lists the options)");
  if (!s.trusted_root)
    s.trust_note = "verified with the repository's first root, trusted on first use (pin it with --trusted-root)";
  return s;
}

void print_release(const ReleaseSummary& r) {
  const ReleaseFacts& f = r.facts;
  std::printf("  %s %s  platform %s  channel %s%s\n", f.app_id.c_str(), f.version.c_str(), f.platform.c_str(),
              f.channel.c_str(), f.critical ? "  critical" : "");
  std::printf("    released %s, package %s, rollout %lld%%\n",
              f.released.empty() ? "(not recorded)" : f.released.c_str(), format_size(r.package_size).c_str(),
              static_cast<long long>(f.rollout));
  if (!f.notes.empty()) std::printf("    notes: %s\n", f.notes.c_str());
  std::printf("    modules (%zu):\n", r.modules.size());
  for (const auto& m : r.modules) {
    if (!m.link.empty()) {
      std::printf("      %s -> %s\n", m.path.c_str(), m.link.c_str());
      continue;
    }
    std::printf("      %s  %s  sha256 %.16s...%s%s\n", m.path.c_str(), format_size(m.size).c_str(), m.sha256.c_str(),
                m.version.empty() ? "" : "  version ", m.version.c_str());
  }
}

void print_report(const RepositoryReport& r, const Source& s) {
  std::printf("repository %s\n", r.url.c_str());
  std::printf("signed (%s):\n", s.trust_note.c_str());
  std::printf("  timestamp version %lld, expires %s; snapshot version %lld; targets version %lld; root version %lld\n",
              static_cast<long long>(r.timestamp_version), r.timestamp_expires.c_str(),
              static_cast<long long>(r.snapshot_version), static_cast<long long>(r.targets_version),
              static_cast<long long>(r.root_version));
  if (r.releases.empty()) std::printf("  no releases\n");
  for (const auto& rel : r.releases) print_release(rel);
  auto or_none = [](const std::string& v) { return v.empty() ? std::string("(not said)") : v; };
  std::printf("unsigned (the server's own word, anyone on the path could change it):\n");
  std::printf("  server time %s; timestamp.json last modified %s; software %s\n", or_none(r.server.date).c_str(),
              or_none(r.server.last_modified).c_str(), or_none(r.server.server).c_str());
  std::printf("  this machine's time %s\n", r.checked_at.c_str());
  if (!s.mirrors.empty()) {
    std::printf("mirrors (this installation's configuration):\n");
    for (const auto& m : s.mirrors) std::printf("  %s\n", m.c_str());
  }
}

int info(const Args& args) {
  const ParsedArgs cli = info_command_line().parse(args);
  if (cli.flag("json")) init_logging({.program = "upkeep", .quiet = true});
  const Source s = source_from(cli);
  const fs::RemoveTreeOnExit trust(fs::make_temp_dir("upkeep-info-"));  // the installation's own cache stays as it is
  const auto fetcher = net::make_fetcher(s.fetch);
  RepositoryTrust::start(trust.path(), s.url, s.trusted_root, *fetcher);
  const RepositoryReport report = RepositoryReport::read(s.url, trust.path(), *fetcher);
  if (!cli.flag("json")) {
    print_report(report, s);
    return 0;
  }
  Json j = report.to_json();
  j["trusted_on_first_use"] = !s.trusted_root.has_value();
  Json mirrors = Json::array();
  for (const auto& m : s.mirrors) mirrors.push_back(m);
  j["mirrors"] = std::move(mirrors);
  std::printf("%s\n", j.dump(0).c_str());
  return 0;
}

}  // namespace

int cmd_info(const Args& args) { return info(args); }

}  // namespace upkeep::cli

// `upkeep doctor REPO_URL`: checks a hosted repository as its clients will
// meet it (upkeep/update/repository_doctor.h) and says what to fix.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/base/trailing_slash.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/fs.h"
#include "upkeep/publish/expiries.h"
#include "upkeep/update/repository_doctor.h"

namespace upkeep::cli {

namespace {

CommandLine doctor_command_line() {
  CommandLine c("upkeep doctor",
                "Checks the repository at REPO_URL (http://, https://, sftp:// or file://) the way\n"
                "its clients meet it, through whatever cache or CDN is in front, and says for\n"
                "each problem what to fix (the rules: docs/hosting.md):\n"
                "  metadata  root, timestamp, snapshot and targets verify (the TUF client)\n"
                "  expiry    no role expires within its window: timestamp 12h (with the\n"
                "            refresh-timestamp timer every 6 hours it never has less than\n"
                "            18 h), snapshot 2d, targets 14d, root 30d\n"
                "  cache     timestamp.json and root.json are not cacheable for more than\n"
                "            60 s (a failure); versioned metadata and targets could be\n"
                "            cached for a year (a warning when they are not)\n"
                "  target    every file of the newest release of each app, platform and\n"
                "            channel is there, with its signed length and SHA-256");
  c.usage(
       "upkeep doctor REPO_URL [--trusted-root FILE] [--credentials FILE] [--no-targets]\n"
       "              [--window ROLE=D]... [--json]")
      .arguments("REPO_URL", "the repository's URL", 1, 1)
      .option("trusted-root", "FILE",
              "the vendor's root.json to verify with (default: the repository's 1.root.json, trusted on first use)")
      .option("credentials", "FILE", "the repository's credentials (a 0600 credentials file)")
      .flag("no-targets", "skip downloading the targets")
      .repeated("window", "ROLE=D",
                "another warning window, e.g. timestamp=6h, snapshot=3d (D in days, Nd, or hours, Nh)")
      .flag("json", "print the findings as one JSON object")
      .footer(
          "Exit codes: 0 every check passed (warnings allowed); 16 a check failed (each\n"
          "failure names its fix); 2 bad command line; 9 no --trusted-root file; 1 other.");
  return c;
}

DoctorOptions doctor_options_of(const ParsedArgs& cli) {
  DoctorOptions o;
  if (auto r = cli.value("trusted-root")) {
    if (!std::filesystem::is_regular_file(*r))
      fail(ErrorCode::kNotFound, "doctor: --trusted-root " + *r + " is not a file");
    o.trusted_root = *r;
  }
  o.check_targets = !cli.flag("no-targets");
  publish::Expiries w;  // the windows, in the shape of role lifetimes
  w.timestamp = o.timestamp_window;
  w.snapshot = o.snapshot_window;
  w.targets = o.targets_window;
  w.root = o.root_window;
  for (const auto& text : cli.values("window")) w = publish::apply_expiry_overrides(text, w);
  o.timestamp_window = w.timestamp;
  o.snapshot_window = w.snapshot;
  o.targets_window = w.targets;
  o.root_window = w.root;
  return o;
}

void print_findings(const DoctorReport& r) {
  std::printf("repository %s (checked %s)\n", r.url.c_str(), r.checked_at.c_str());
  for (const DoctorFinding& f : r.findings) {
    const char* level = f.level == DoctorFinding::Level::kPass      ? "ok     "
                        : f.level == DoctorFinding::Level::kWarning ? "WARNING"
                                                                    : "FAILED ";
    std::printf("  %s %-8s %s: %s\n", level, f.check.c_str(), f.subject.c_str(), f.message.c_str());
    if (!f.fix.empty()) std::printf("          fix: %s\n", f.fix.c_str());
  }
  const size_t failures = r.count(DoctorFinding::Level::kFailure);
  const size_t warnings = r.count(DoctorFinding::Level::kWarning);
  if (failures == 0)
    std::printf("all checks passed%s\n", warnings ? (" (" + std::to_string(warnings) + " warning(s))").c_str() : "");
  else
    std::printf("%zu check(s) failed, %zu warning(s)\n", failures, warnings);
}

}  // namespace

int cmd_doctor(const Args& args) {
  const ParsedArgs cli = doctor_command_line().parse(args);
  const DoctorOptions options = doctor_options_of(cli);
  if (cli.flag("json")) init_logging({.program = "upkeep", .quiet = true});
  const std::string url = with_trailing_slash(cli.positional()[0]);
  const fs::RemoveTreeOnExit work(fs::make_temp_dir("upkeep-doctor-"));
  const auto fetcher = net::make_fetcher(net::with_credentials_file(cli.value("credentials")));
  RepositoryDoctor doctor(url, work.path(), *fetcher);
  const DoctorReport report = doctor.examine(options);
  if (cli.flag("json"))
    std::printf("%s\n", report.to_json().dump(0).c_str());
  else
    print_findings(report);
  return report.passed() ? 0 : static_cast<int>(ErrorCode::kCheckFailed);
}

}  // namespace upkeep::cli

// upkeep-updater: one check without the application. The launcher runs it
// for a check on start, the per-user update timer (`install --schedule`)
// and cron run it alone: check, download with a progress bar, verify and
// stage; the launcher then applies and starts the new version. Run by the
// launcher or a timer it is a background check (a release's staged rollout
// applies); with --check-now a person asked, and the rollout is ignored
// (update_service.h); with --scheduled a timer or cron started it, and
// managed policy's update_mode manual and quiet hours hold the check back. With --apply-when-idle (per-machine
// installs, run as root by their update timer) it then applies the staged version when no user runs the app
// (admin/privileged_apply.h).
//
// Exit codes as in README.md (and kUsage below).
#include <spdlog/spdlog.h>

#include <cstdio>

#include "upkeep/admin/privileged_apply.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/temp_sweeper.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/platform/clock.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/console_reporter.h"
#include "upkeep/update/update_service.h"

namespace {

using namespace upkeep;
using Outcome = admin::PrivilegedApplyResult::Outcome;

CommandLine updater_command_line() {
  CommandLine c("upkeep-updater",
                "Checks for an update of the install at DIR, downloads, verifies and stages\n"
                "it; the launcher applies it at the application's next start.");
  c.usage(
       "upkeep-updater --root DIR [--check-now | --scheduled] [--apply-when-idle]\n"
       "               [--progress auto|always|never] [--verbose] [--quiet] [--json]")
      .option("root", "DIR", "the install root")
      .flag("check-now", "a person asked: a release's staged rollout does not apply")
      .flag("scheduled",
            "a timer or cron started it: no check in update_mode manual or disabled, nor during quiet hours "
            "(managed policy)")
      .flag("apply-when-idle",
            "per-machine installs, as root (their update timer runs this): then apply the staged version if no "
            "user runs the app, check every file of it and mark it good; while someone runs it, leave it staged "
            "for the next run")
      .option("progress", "WHEN",
              "the download's progress bar on stderr: auto (when stderr is a terminal), always (even when it is "
              "not) or never")
      .flag("verbose", "with --progress auto and stderr no terminal: one line per download when it ends")
      .flag("quiet", "print errors only")
      .flag("json",
            "print one JSON object at the end (\"staged\", and with --apply-when-idle \"outcome\": applied, "
            "in_use, held_by_policy, nothing_staged or rolled_back); a failure as the error object")
      .footer(
          "Exit codes (upkeep exit-codes): 0 staged, up to date or updates disabled by managed\n"
          "policy, and with --apply-when-idle applied or left staged; 1 rolled back\n"
          "or other failure; 2 bad command line; 4 the install is busy;\n"
          "5 verification; 6 network; 7 no space; 9 no install at DIR; 15 the\n"
          "repository refused the credentials or wants some (<root>/credentials.json).");
  return c;
}

// What one run did, for the last line (or the JSON object).
struct Report {
  std::optional<std::string> staged;  // after the check
  std::string check_skipped;          // why a scheduled run did not check
  std::optional<Error> check_error;
  std::optional<admin::PrivilegedApplyResult> apply;
};

std::string describe(const admin::PrivilegedApplyResult& a) {
  switch (a.outcome) {
    case Outcome::kNothingStaged:
      return "nothing is staged to apply";
    case Outcome::kHeldByPolicy:
      return a.version + " is staged and not applied: " + a.detail;
    case Outcome::kInUse:
      return a.version + " is staged and not applied: the application is running; it is left for the next run";
    case Outcome::kApplied:
      return "applied " + a.version + (a.from.empty() ? "" : " (was " + a.from + ")") +
             ": every file matched the signed manifest; marked good";
    case Outcome::kRolledBack:
      return "applied " + a.version + " and rolled back to " + a.from + ": " + a.detail;
  }
  return "";
}

// Why a scheduled run does not check now (managed policy, failed checks); "" when it does.
std::string scheduled_check_off(const UpdateSettings& s, const UpdateService& service) {
  if (!s.checks_automatically())
    return std::string("update_mode ") + update_mode_name(s.mode) + " (" + s.sources.at("update_mode").describe() + ")";
  if (s.in_quiet_hours(*SystemClock::instance()))
    return "quiet hours " + s.quiet_hours->to_string() + " (" + s.sources.at("quiet_hours").describe() + ")";
  if (int64_t hold = service.backoff_seconds())
    return "held back " + std::to_string(hold) + " s after failed checks (--check-now checks anyway)";
  return "";
}

// The run's last line goes to the log, and to stdout unless quiet; or the JSON object.
void print(const Report& r, bool json, bool quiet) {
  if (!json) {
    std::vector<std::string> lines;
    if (!r.check_skipped.empty()) lines.push_back("no scheduled check now: " + r.check_skipped);
    if (r.apply) lines.push_back(describe(*r.apply));
    for (const auto& line : lines) {
      spdlog::info("{}", line);
      if (!quiet) std::printf("%s\n", line.c_str());
    }
    return;
  }
  Json j = Json::object();
  j["staged"] = r.staged ? Json(*r.staged) : Json(nullptr);
  if (!r.check_skipped.empty()) j["check_skipped"] = r.check_skipped;
  if (r.check_error) j["check_error"] = r.check_error->what();
  if (r.apply) {
    j["outcome"] = admin::outcome_name(r.apply->outcome);
    j["version"] = r.apply->version;
    j["from"] = r.apply->from;
    j["detail"] = r.apply->detail;
  }
  std::printf("%s\n", j.dump(0).c_str());
}

int run(const ParsedArgs& args) {
  const auto root = args.value("root");
  if (!root) fail(ErrorCode::kUsage, "--root DIR is needed (upkeep-updater --help lists the options)");
  if (args.flag("check-now") && args.flag("scheduled"))
    fail(ErrorCode::kUsage, "--check-now (a person asked) and --scheduled (a timer started it) exclude each other");
  const bool json = args.flag("json"), quiet = args.flag("quiet") || json;
  Layout layout(*root);
  std::error_code ec;
  if (!std::filesystem::exists(layout.config_file(), ec) && !std::filesystem::exists(layout.state_db(), ec))
    fail(ErrorCode::kNotFound, layout.root().string() + ": no install there (no config.json, no state.db)");
  const auto started = std::filesystem::file_time_type::clock::now();
  init_logging({.program = "updater", .log_dir = layout.logs_dir(), .quiet = quiet});
  if (layout.writable_by_this_process()) TempSweeper(layout).sweep(started);
  Config::Loaded loaded = Config::load_or_salvage(layout.config_file(), "");
  if (loaded.damaged())
    fail(ErrorCode::kBadInput,
         loaded.damage + "; " + Config::Loaded::updates_off(layout.root()) + " (the application still starts)");
  const Config& config = loaded.config;
  // Managed policy over config.json; in update_mode "disabled" check_now() says so and checks nothing.
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  ConsoleReporter reporter(ConsoleReporter::parse_progress(args.value_or("progress", "auto")), quiet,
                           args.flag("verbose"));
  UpdateService service(layout, config, settings, net::make_fetcher(fetch_options(layout, config, settings)), reporter);
  Report report;
  if (args.flag("scheduled")) report.check_skipped = scheduled_check_off(settings, service);
  try {
    if (!report.check_skipped.empty())
      spdlog::info("no scheduled check: {}", report.check_skipped);
    else if (auto staged = service.check_now(args.flag("check-now") ? CheckKind::kManual : CheckKind::kBackground))
      report.staged = staged->version;
  } catch (const Error& e) {
    // Without --apply-when-idle a failed check is the run's result; with it, a
    // version staged by an earlier run may still be applied, and the exit code stays the check's.
    if (!args.flag("apply-when-idle")) throw;
    report.check_error = e;
  }
  if (args.flag("apply-when-idle")) report.apply = admin::PrivilegedApply(layout, config, settings).run();
  print(report, json, args.flag("quiet"));
  if (report.check_error) return static_cast<int>(report.check_error->code());
  return report.apply && report.apply->outcome == Outcome::kRolledBack ? static_cast<int>(ErrorCode::kFailure) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Until run() opens the install's log: the console sink on stderr, never stdout.
  upkeep::init_logging({.program = "upkeep-updater"});
  const std::vector<std::string> args(argv + 1, argv + argc);
  return upkeep::run_command("upkeep-updater", args, [&] { return run(updater_command_line().parse(args)); });
}

// upkeep-updater: the synchronous updater the launcher runs for
// --check-on-start (installs whose main program does not embed the
// library). It checks, downloads with a progress bar, verifies and stages;
// the launcher then applies and starts the new version. Run by the launcher
// it is a background check (a release's staged rollout applies); with
// --check-now a person asked, and the rollout is ignored (update_service.h).
//
// usage: upkeep-updater --root DIR [--check-now] [--progress auto|always|never] [--quiet]
// Exit codes as in README.md: 0 staged, up to date, or updates disabled by
// managed policy (nothing is fetched then), otherwise the error's code.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "upkeep/base/cli_args.h"
#include "upkeep/base/error.h"
#include "upkeep/base/logging.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/console_reporter.h"
#include "upkeep/update/update_service.h"

int main(int argc, char** argv) {
  using namespace upkeep;
  try {
    CliArgs args(std::vector<std::string>(argv + 1, argv + argc),
                 {.flags = {"quiet", "check-now"}, .values = {"root", "progress"}});
    auto root = args.value("root");
    if (!root)
      fail(ErrorCode::kUsage,
           "usage: upkeep-updater --root DIR [--check-now] [--progress auto|always|never] [--quiet]");
    Layout layout(*root);
    init_logging({.program = "updater", .log_dir = layout.logs_dir(), .quiet = args.flag("quiet")});
    Config config = Config::load(layout.config_file());
    // Managed policy over config.json; in update_mode "disabled" check_now() says so and checks nothing.
    UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
    ConsoleReporter reporter(ConsoleReporter::parse_progress(args.value_or("progress", "auto")), args.flag("quiet"));
    net::FetchOptions fetch;
    fetch.proxy = settings.proxy;
    UpdateService service(layout, config, settings, std::make_unique<net::HttpFetcher>(fetch), reporter);
    service.check_now(args.flag("check-now") ? CheckKind::kManual : CheckKind::kBackground);
    return 0;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return static_cast<int>(ErrorCode::kFailure);
  }
}

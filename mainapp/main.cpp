// mainapp: the reference application. It embeds the upkeep library the way
// a vendor's application would: confirm a healthy start, run the
// UpdateService in the background, and offer "restart to update".
//
// usage: mainapp [--version] [--headless] [--exit-after-check] [--check-now]
//                [--progress auto|always|never]
// --check-now makes the first check a manual one (a person asked: a staged
// rollout does not hold a release back); later checks are background ones.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "cli_args.h"
#include "config.h"
#include "error.h"
#include "fs.h"
#include "health.h"
#include "launch_env.h"
#include "layout.h"
#include "logging.h"
#include "managed_policy.h"
#include "net/http_fetcher.h"
#include "process.h"
#include "restart.h"
#include "terminal_ui.h"
#include "termination.h"
#include "update/update_service.h"

namespace {

using namespace upkeep;
namespace stdfs = std::filesystem;

// The version this program is: set by the launcher, else a VERSION file
// beside the executable (a build folder), else the build's own.
std::string own_version() {
  if (const char* v = std::getenv(env::kVersion)) return v;
  std::error_code ec;
  stdfs::path file = fs::self_executable_path().parent_path() / "VERSION";
  if (stdfs::exists(file, ec)) {
    std::string s = fs::read_file(file, 256);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
  }
  return UPKEEP_VERSION_STRING;
}

// Ctrl-C and SIGTERM become a quit event on the UI queue.
void start_termination_thread(TerminalUi& ui) {
  block_termination_requests();  // before any other thread starts
  std::thread([&ui] {
    wait_for_termination_request();
    ui.post({TerminalUi::EventKind::kQuit, ""});
  }).detach();
}

int run(const std::vector<std::string>& args_in) {
  CliArgs args(args_in, {.flags = {"version", "headless", "exit-after-check", "check-now"}, .values = {"progress"}});
  std::string version = own_version();
  if (args.flag("version")) {
    std::printf("mainapp %s\n", version.c_str());
    // On trial the confirmation is logged: to the install's log, so stdout stays the version alone.
    const char* root = std::getenv(env::kRoot);
    if (root && std::getenv(env::kTrial)) init_logging({.program = "mainapp", .log_dir = Layout(root).logs_dir()});
    confirm_healthy_start();
    return 0;
  }
  TerminalUi ui(ConsoleReporter::parse_progress(args.value_or("progress", "auto")));
  start_termination_thread(ui);

  const char* root = std::getenv(env::kRoot);
  ui.say("mainapp " + version + " running (pid " + std::to_string(process::current_pid()) + ")");
  if (!root) {
    ui.say("not started by the launcher: updates are off");
    return 0;
  }
  Layout layout(root);
  init_logging({.program = "mainapp", .log_dir = layout.logs_dir()});
  Config config = Config::load(layout.config_file());
  bool headless = args.flag("headless") || config.headless;

  // Healthy once configuration is read and logging works: tell the launcher.
  if (confirm_healthy_start() == HealthResult::kConfirmed) {
    const char* prev = std::getenv(env::kPreviousVersion);
    ui.say("updated from " + std::string(prev ? prev : "?") + " to " + version + ": healthy start confirmed");
  }

  // Managed policy over config.json (README "Managed policy").
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  for (const auto& e : settings.policy_errors) ui.say("managed policy: " + e.message);
  FetchOptions fetch;
  fetch.proxy = settings.proxy;
  UpdateService service(layout, config, settings, std::make_unique<HttpFetcher>(fetch), ui);
  service.start(args.flag("check-now") ? CheckKind::kManual : CheckKind::kBackground);
  std::optional<std::string> staged;
  bool exit_after_check = args.flag("exit-after-check");
  if (!service.background_delay()) {
    ui.say(std::string("no background update checks: update_mode ") + update_mode_name(settings.mode) + " (" +
           settings.sources.at("update_mode").describe() + ")");
    if (exit_after_check) return 0;  // no check will finish
  }
  bool restart = false;
  while (true) {
    auto e = ui.next_event();
    if (e.kind == TerminalUi::EventKind::kQuit) break;
    if (e.kind == TerminalUi::EventKind::kStaged) {
      staged = e.version;
      if (!headless) {
        restart = ui.ask_yes_no("Version " + e.version + " is ready. Restart to update? [Y/n] ");
        if (restart) break;
        ui.say("the update will be applied at the next start");
      }
    }
    if (e.kind == TerminalUi::EventKind::kCheckFinished && exit_after_check) break;
  }
  service.stop();
  // Headless machines apply at exit: nobody is there to answer a prompt. Not
  // where policy wants the user to decide (download_only) or in quiet hours.
  if (headless && staged && settings.mode == UpdateMode::kAutomatic && !settings.in_quiet_hours(SystemClock()))
    restart = true;
  if (restart) {
    const char* launcher = std::getenv(env::kLauncher);
    std::vector<std::string> app_args = args_in;
    restart_to_update({.launcher = launcher ? launcher : "", .app_args = app_args});
    ui.say("restarting to update to " + *staged + "...");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const upkeep::Error& e) {
    spdlog::error("{}", e.what());
    std::fprintf(stderr, "mainapp: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mainapp: %s\n", e.what());
    return 1;
  }
}

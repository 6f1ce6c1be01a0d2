// mainapp: the reference application. It embeds the upkeep library the way
// a vendor's application would: confirm a healthy start, run the
// UpdateService in the background, and offer "restart to update" as managed
// policy's restart_prompt says (RestartEscalation), saving the user's work
// (WorkDocument) through its save hook first.
//
// usage: mainapp [--version] [--headless] [--exit-after-check] [--check-now]
//                [--progress auto|always|never] [--note TEXT]
// --check-now makes the first check a manual one (a person asked: a staged
// rollout does not hold a release back); later checks are background ones.
// --note adds a line of unsaved work to the document, as if typed (with
// restart_prompt notify or forced, typed lines are added; "restart" restarts).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "upkeep/base/cli_args.h"
#include "upkeep/policy/config.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"
#include "upkeep/install/healthy_start.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/install/layout.h"
#include "upkeep/base/logging.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/platform/process.h"
#include "upkeep/update/restart_to_update.h"
#include "upkeep/install/state_store.h"
#include "terminal_ui.h"
#include "upkeep/platform/termination.h"
#include "upkeep/update/restart_escalation.h"
#include "upkeep/update/update_service.h"
#include "work_document.h"

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

// When `version` was staged (its restart deadline counts from then); now when unrecorded.
Clock::TimePoint staged_at(const Layout& layout, const std::string& version, const Clock& clock) {
  try {
    StateStore store(layout.state_db(), StateStore::Mode::kReadOnly);
    if (auto r = store.get(version); r && r->updated_at > 0)
      return Clock::TimePoint(std::chrono::seconds(r->updated_at));
  } catch (const std::exception& e) {
    spdlog::warn("cannot read when {} was staged ({}): its restart deadline counts from now", version, e.what());
  }
  return clock.now();
}

// The new version's arguments: a --note is in the saved document by then.
std::vector<std::string> without_note(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--note") {
      ++i;
    } else if (args[i].rfind("--note=", 0) != 0) {
      out.push_back(args[i]);
    }
  }
  return out;
}

// What the user reads for each step of the escalation (RestartEscalation), or "" for none.
std::string escalation_message(const RestartEscalation::Step& step, const RestartEscalation& escalation,
                               const std::string& version, const UpdateSettings& settings, bool headless) {
  using Action = RestartEscalation::Action;
  const std::string hint = headless ? "" : " (type 'restart' to restart now)";
  const std::string required =
      "(required by restart_prompt \"forced\", " + settings.sources.at("restart_prompt").describe() + ")";
  const std::string left = RestartEscalation::describe(step.left);
  switch (step.action) {
    case Action::kNone:
    case Action::kAsk:
      return "";
    case Action::kNotify:
      if (escalation.prompt() != RestartPrompt::kForced)
        return "update " + version + " ready: restart when convenient" + hint;
      return "update " + version + " ready: restarting in " + left + " (at " +
             format_local_time(*escalation.restart_at()) + ") to apply it " + required + hint;
    case Action::kRemind:
      if (escalation.prompt() != RestartPrompt::kForced)
        return "reminder: update " + version + " is ready: restart when convenient" + hint;
      return "restarting in " + left + " to apply " + version + " " + required + hint;
    case Action::kRestart:
      return "restarting now to apply " + version + ": the deadline has passed " + required;
  }
  return "";
}

int run(const std::vector<std::string>& args_in) {
  CliArgs args(args_in,
               {.flags = {"version", "headless", "exit-after-check", "check-now"}, .values = {"progress", "note"}});
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

  // The user's work, and the save hook the restart runs first (RestartEscalation::save_before_restart).
  WorkDocument work = WorkDocument::open(config.app_id);
  if (work.loaded())
    ui.say("your work: " + work.file().string() + " (" + std::to_string(work.line_count()) +
           (work.line_count() == 1 ? " line)" : " lines)"));
  if (auto note = args.value("note")) work.add_line(*note);
  SaveWork save_work = [&] {
    if (work.save()) ui.say("saved your work to " + work.file().string());
    return true;
  };
  auto not_saved = [&](const std::string& error, const std::string& consequence) {
    ui.say("could not save your work (" + error + "): " + consequence);
  };
  // Quitting saves too; what cannot be saved is lost: say so, and exit non-zero.
  auto quit = [&]() -> int {
    try {
      save_work();
      return 0;
    } catch (const std::exception& e) {
      not_saved(e.what(), "what was not saved is lost");
      return 1;
    }
  };

  // Managed policy over config.json (docs/admin-guide.md "Managed policy").
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  for (const auto& e : settings.policy_errors) ui.say("managed policy: " + e.message);
  net::FetchOptions fetch;
  fetch.proxy = settings.proxy;
  UpdateService service(layout, config, settings, std::make_unique<net::HttpFetcher>(fetch), ui);
  service.start(args.flag("check-now") ? CheckKind::kManual : CheckKind::kBackground);
  bool exit_after_check = args.flag("exit-after-check");
  if (!service.background_delay()) {
    ui.say(std::string("no background update checks: update_mode ") + update_mode_name(settings.mode) + " (" +
           settings.sources.at("update_mode").describe() + ")");
    if (exit_after_check) return quit();  // no check will finish
  }
  // "ask" asks on the main thread (ask_yes_no reads the answer); "notify" and
  // "forced" must wake at their times, so a thread reads what is typed.
  const RestartPrompt prompt = settings.restart_prompt;
  if (!headless && prompt != RestartPrompt::kAsk) ui.start_reading_input();
  std::shared_ptr<const Clock> clock = SystemClock::instance();
  std::optional<std::string> staged;
  std::optional<RestartEscalation> escalation;  // of `staged`
  std::optional<Clock::TimePoint> wake;
  bool restart = false;
  while (!restart) {
    auto e = wake ? ui.next_event_until(*wake) : std::optional(ui.next_event());
    bool restart_now = false;
    if (e) {
      if (e->kind == TerminalUi::EventKind::kQuit) break;
      if (e->kind == TerminalUi::EventKind::kCheckFinished && exit_after_check) break;
      if (e->kind == TerminalUi::EventKind::kStaged && e->version != staged) {
        // One escalation per version: later checks that find it staged do not move its deadline.
        staged = e->version;
        escalation.emplace(prompt, std::chrono::hours(settings.restart_deadline_hours),
                           staged_at(layout, *staged, *clock), clock);
      }
      if (e->kind == TerminalUi::EventKind::kLine) {
        if (e->text != "restart")
          work.add_line(e->text);
        else if (escalation)
          restart_now = true;
        else
          ui.say("no update is ready to restart for");
      }
    }
    if (!escalation) continue;
    RestartEscalation::Step step = escalation->poll();
    wake = step.wake;
    if (step.action == RestartEscalation::Action::kAsk && !headless) {
      restart_now = ui.ask_yes_no("Version " + *staged + " is ready. Restart to update? [Y/n] ");
      if (!restart_now) ui.say("the update will be applied at the next start");
    }
    if (std::string m = escalation_message(step, *escalation, *staged, settings, headless); !m.empty()) ui.say(m);
    if (step.action == RestartEscalation::Action::kRestart) restart_now = true;
    if (restart_now) {
      auto saved = escalation->save_before_restart(save_work);
      restart = saved.saved;
      if (!saved.saved)
        not_saved(saved.error,
                  step.action == RestartEscalation::Action::kRestart
                      ? "not restarting; trying again in " + RestartEscalation::describe(RestartEscalation::kSaveRetry)
                      : "not restarting");
    }
  }
  service.stop();
  // Headless machines apply at exit: nobody is there to answer a prompt. Not
  // where policy wants the user to decide (download_only), in quiet hours, or
  // with restart_prompt notify (never restarts by itself). The work is saved first.
  if (!restart && headless && escalation && prompt != RestartPrompt::kNotify &&
      settings.mode == UpdateMode::kAutomatic && !settings.in_quiet_hours(*clock)) {
    auto saved = escalation->save_before_restart(save_work);
    restart = saved.saved;
    if (!saved.saved) not_saved(saved.error, "not restarting");
  }
  if (restart) {
    const char* launcher = std::getenv(env::kLauncher);
    restart_to_update({.launcher = launcher ? launcher : "", .app_args = without_note(args_in)});
    ui.say("restarting to update to " + *staged + "...");
    return 0;
  }
  return quit();
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

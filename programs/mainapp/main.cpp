// mainapp: the reference application. It embeds the upkeep library the way
// a vendor's application would: confirm a healthy start, run the
// UpdateService in the background, and leave "restart to update" to the
// library's RestartPolicy (managed policy's restart_prompt, the deadline,
// headless at exit), which saves the user's work (WorkDocument) through the
// save hook first. mainapp itself draws the UI: on a terminal (TerminalUi)
// and as a local web UI on 127.0.0.1 whose URL carries a per-run token.
//
// usage: mainapp [--version] [--headless] [--exit-after-check] [--check-now]
//                [--progress auto|always|never] [--note TEXT]
//                [--ui terminal|web|none] [--no-browser]
// --check-now makes the first check a manual one (a person asked: a staged
// rollout does not hold a release back); later checks are background ones.
// --note adds a line of unsaved work to the document, as if typed (with
// restart_prompt notify or forced, typed lines are added; "restart" restarts).
// --ui picks the face (ui_face.h): started from a terminal (standard input
// or output a terminal) the terminal UI, which also prints the web UI's URL
// ("web UI: http://127.0.0.1:PORT/?token=..."); started from the desktop
// (no terminal) the web UI, opened with xdg-open unless --no-browser (the
// URL is printed and logged too); none: no web UI. The web UI listens on
// the socket named "ui" a restart handed over (LISTEN_FDS), with the token
// of MAINAPP_UI_TOKEN, else on a fresh 127.0.0.1 port with a new token
// (web_ui_socket.h). A restart to update hands that socket over: this
// version serves until the new one is ready and the launcher sends SIGTERM,
// so the URL the user has open keeps working.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "browser_opener.h"
#include "placeholder_web_ui.h"
#include "terminal_ui.h"
#include "ui_face.h"
#include "upkeep/base/cli_args.h"
#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/base/logging.h"
#include "upkeep/install/healthy_start.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"
#include "upkeep/platform/termination.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/listen_fds.h"
#include "upkeep/update/restart_policy.h"
#include "upkeep/update/restart_to_update.h"
#include "upkeep/update/update_service.h"
#include "web_ui_socket.h"
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
    while (true) {  // a second one ends the wait of a hand-over that began at quit
      wait_for_termination_request();
      ui.post({TerminalUi::EventKind::kQuit, ""});
    }
  }).detach();
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

// --version: the version alone on stdout. On trial the confirmation is
// logged: to the install's log, so stdout stays the version alone.
int print_version(const std::string& version) {
  std::printf("mainapp %s\n", version.c_str());
  const char* root = std::getenv(env::kRoot);
  if (root && std::getenv(env::kTrial)) init_logging({.program = "mainapp", .log_dir = Layout(root).logs_dir()});
  confirm_healthy_start();
  return 0;
}

// Healthy once the UI serves and the configuration is read: tell the launcher
// (on trial the health byte; in a hand-over off trial, the readiness byte).
void report_started(TerminalUi& ui, const std::string& version) {
  if (confirm_healthy_start() == HealthResult::kConfirmed) {
    const char* prev = std::getenv(env::kPreviousVersion);
    ui.say("updated from " + std::string(prev ? prev : "?") + " to " + version + ": healthy start confirmed");
  }
  report_ready_to_launcher();
}

// The web UI, on its socket; its URL said, and with the web face opened in the browser.
std::unique_ptr<PlaceholderWebUi> start_web_ui(TerminalUi& ui, const std::optional<WebUiSocket>& socket, UiFace face,
                                               bool no_browser, const std::string& version) {
  if (!socket) return nullptr;
  auto web = std::make_unique<PlaceholderWebUi>(socket->fd(), socket->token(), version);
  spdlog::info("web UI at {} ({} socket, face {})", socket->url(), socket->inherited() ? "handed-over" : "new",
               ui_face_name(face));
  ui.say("web UI: " + socket->url());
  if (face == UiFace::kWeb && !no_browser) open_in_browser(socket->url());
  return web;
}

// The user's work as saved, plus the --note typed on the command line.
WorkDocument open_work(TerminalUi& ui, const std::string& app_id, const std::optional<std::string>& note) {
  WorkDocument work = WorkDocument::open(app_id);
  if (work.loaded())
    ui.say("your work: " + work.file().string() + " (" + std::to_string(work.line_count()) +
           (work.line_count() == 1 ? " line)" : " lines)"));
  if (note) work.add_line(*note);
  return work;
}

// Managed policy over config.json (docs/admin-guide.md "Managed policy"); rejected policy files are said.
UpdateSettings read_settings(TerminalUi& ui, const Layout& layout, const Config& config) {
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  for (const auto& e : settings.policy_errors) ui.say("managed policy: " + e.message);
  return settings;
}

// Starts the update checks; false (said) when no background check will run.
bool start_checks(TerminalUi& ui, UpdateService& service, bool check_now) {
  service.start(check_now ? CheckKind::kManual : CheckKind::kBackground);
  if (service.background_delay()) return true;
  const UpdateSettings& settings = service.settings();
  ui.say(std::string("no background update checks: update_mode ") + update_mode_name(settings.mode) + " (" +
         settings.sources.at("update_mode").describe() + ")");
  return false;
}

// The main thread's loop: typed lines go to the work, "restart" and the
// policy's own times to RestartPolicy; until quit, a restart, or (with
// --exit-after-check) the end of the first check.
void run_events(TerminalUi& ui, RestartPolicy& restart, WorkDocument& work, bool exit_after_check) {
  if (restart.reads_typed_lines()) ui.start_reading_input();
  while (true) {
    auto wake = restart.wake();
    auto e = wake ? ui.next_event_until(*wake) : std::optional(ui.next_event());
    bool user_asked = false;
    if (e) {
      if (e->kind == TerminalUi::EventKind::kQuit) return;
      if (e->kind == TerminalUi::EventKind::kCheckFinished && exit_after_check) return;
      if (e->kind == TerminalUi::EventKind::kStaged) restart.staged(e->version);
      if (e->kind == TerminalUi::EventKind::kLine) {
        if (e->text == "restart")
          user_asked = true;
        else
          work.add_line(e->text);
      }
    }
    if (restart.poll(user_asked)) return;
  }
}

// Quitting saves too; what cannot be saved is lost: say so, and exit non-zero.
int quit(TerminalUi& ui, const SaveWork& save_work) {
  try {
    save_work();
    return 0;
  } catch (const std::exception& e) {
    ui.say_not_saved(e.what(), "what was not saved is lost");
    return 1;
  }
}

// With the web UI's socket, a hand-over (RestartRequest::handover): the
// launcher starts the new version on that socket and, once it is ready, sends
// SIGTERM; until then this version keeps serving. Returns when it may exit.
void restart_with_handover(TerminalUi& ui, RestartPolicy& restart, const WebUiSocket& socket,
                           std::vector<std::string> app_args) {
  const char* launcher = std::getenv(env::kLauncher);
  if (!launcher || !restart.version()) fail(ErrorCode::kNotFound, "cannot restart to update: no launcher or update");
  int64_t pid = restart_to_update({.launcher = launcher,
                                   .app_args = std::move(app_args),
                                   .listen_fds = {socket.fd()},
                                   .listen_names = {WebUiSocket::kSocketName},
                                   .handover = true});
  ui.on_restarting(*restart.version());
  // SIGTERM (a quit event) once the new version serves; or the launcher ended without it.
  std::thread([&ui, pid] {
    while (!process::wait_for_exit(pid, std::chrono::hours(1))) {
    }
    ui.post({TerminalUi::EventKind::kLaunched, ""});
  }).detach();
  while (true) {
    TerminalUi::Event e = ui.next_event();
    if (e.kind == TerminalUi::EventKind::kQuit) return;
    if (e.kind == TerminalUi::EventKind::kLaunched) {
      spdlog::warn("the launcher (pid {}) ended without handing over: exiting", pid);
      return;
    }
  }
}

// The options, the version, and --version; then, started by a launcher, the app.
int run(const std::vector<std::string>& args_in) {
  CliArgs args(args_in, {.flags = {"version", "headless", "exit-after-check", "check-now", "no-browser"},
                         .values = {"progress", "note", "ui"}});
  std::string version = own_version();
  if (args.flag("version")) return print_version(version);
  UiFace face = choose_ui_face(args.value("ui"));
  TerminalUi ui(ConsoleReporter::parse_progress(args.value_or("progress", "auto")));
  const char* root = std::getenv(env::kRoot);
  if (!root) {
    ui.say("mainapp " + version + " running (pid " + std::to_string(process::current_pid()) + ")");
    ui.say("not started by the launcher: updates are off");
    return 0;
  }
  Layout layout(root);
  init_logging({.program = "mainapp", .log_dir = layout.logs_dir()});
  // Before any thread starts: it reads (and changes) the environment.
  std::optional<WebUiSocket> socket;
  if (face != UiFace::kNone) socket.emplace(WebUiSocket::acquire());
  start_termination_thread(ui);
  ui.say("mainapp " + version + " running (pid " + std::to_string(process::current_pid()) + ")");
  Config config = Config::load(layout.config_file());
  auto web = start_web_ui(ui, socket, face, args.flag("no-browser"), version);
  report_started(ui, version);
  WorkDocument work = open_work(ui, config.app_id, args.value("note"));
  // The save hook every restart runs first (RestartPolicy), and quitting too.
  SaveWork save_work = [&] {
    if (work.save()) ui.say("saved your work to " + work.file().string());
    return true;
  };
  UpdateSettings settings = read_settings(ui, layout, config);
  RestartPolicy restart(layout, settings, args.flag("headless") || config.headless, save_work, ui);
  UpdateService service(layout, config, settings,
                        std::make_unique<net::HttpFetcher>(net::FetchOptions{.proxy = settings.proxy}), ui);
  bool exit_after_check = args.flag("exit-after-check");
  if (!start_checks(ui, service, args.flag("check-now")) && exit_after_check) return quit(ui, save_work);
  run_events(ui, restart, work, exit_after_check);
  service.stop();
  // A version staged as the user quit (its event queued behind the quit) still counts at exit.
  while (auto e = ui.next_event_until(std::chrono::system_clock::now()))
    if (e->kind == TerminalUi::EventKind::kStaged) restart.staged(e->version);
  if (!restart.at_exit()) return quit(ui, save_work);
  if (socket)
    restart_with_handover(ui, restart, *socket, without_note(args_in));
  else
    restart.restart(without_note(args_in));
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

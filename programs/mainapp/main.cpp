// mainapp: the reference application. It embeds the upkeep library the way
// a vendor's application would, through AppUpdater (upkeep/embed): confirm a
// healthy start, background checks, and "restart to update" by the
// library's rules (managed policy's restart_prompt, the deadline, headless
// at exit), which save the user's work (WorkDocument) through the save hook
// first. mainapp itself draws the UI from AppUpdater's UpdateState: on a
// terminal (TerminalUi) and as a local web UI on 127.0.0.1 whose URL
// carries a per-run token.
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
#include <mutex>
#include <thread>

#include "browser_opener.h"
#include "restart_notification.h"
#include "terminal_ui.h"
#include "ui_face.h"
#include "updater_web_model.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"
#include "upkeep/base/logging.h"
#include "upkeep/embed/app_updater.h"
#include "upkeep/install/healthy_start.h"
#include "upkeep/install/layout.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"
#include "upkeep/platform/termination.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/listen_fds.h"
#include "upkeep/webui/web_ui_server.h"
#include "web_ui_socket.h"
#include "work_document.h"

namespace {

using namespace upkeep;
namespace stdfs = std::filesystem;
using Phase = UpdateState::Phase;

// How long a version that handed its socket over waits for the launcher's SIGTERM.
constexpr std::chrono::minutes kHandoverWait{10};

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
      ui.post({TerminalUi::EventKind::kQuit, {}, ""});
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

// The user's work: typed lines come on the main thread, the save hook runs on the updater's.
class SharedWork {
 public:
  explicit SharedWork(WorkDocument doc) : doc_(std::move(doc)) {}
  void add_line(const std::string& line) {
    std::lock_guard<std::mutex> g(mutex_);
    doc_.add_line(line);
  }
  bool save() {
    std::lock_guard<std::mutex> g(mutex_);
    return doc_.save();
  }
  stdfs::path file() {
    std::lock_guard<std::mutex> g(mutex_);
    return doc_.file();
  }

 private:
  std::mutex mutex_;
  WorkDocument doc_;
};

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

// Healthy once the UI serves and the configuration is read: tell the launcher
// (on trial the health byte; in a hand-over off trial, the readiness byte).
void report_started(TerminalUi& ui, AppUpdater& updater, const std::string& version) {
  if (updater.confirm_healthy_start() == HealthResult::kConfirmed) {
    const char* prev = std::getenv(env::kPreviousVersion);
    ui.say("updated from " + std::string(prev ? prev : "?") + " to " + version + ": healthy start confirmed");
  }
  report_ready_to_launcher();
}

// The web UI (WebUiServer over AppUpdater) on its socket; its URL said, and
// with the web face opened in the browser.
std::unique_ptr<webui::WebUiServer> start_web_ui(TerminalUi& ui, webui::WebUiModel& model, const WebUiSocket& socket,
                                                 UiFace face, bool no_browser) {
  auto web = std::make_unique<webui::WebUiServer>(
      model, webui::WebUiServer::Options{.app_name = "mainapp", .listen_fd = socket.fd(), .token = socket.token()});
  web->start();
  spdlog::info("web UI at {} ({} socket, face {})", web->url(), socket.inherited() ? "handed-over" : "new",
               ui_face_name(face));
  ui.say("web UI: " + web->url());
  if (face == UiFace::kWeb && !no_browser) open_in_browser(web->url());
  return web;
}

// What the main loop does, from the options and the settings.
struct LoopRules {
  bool ask = false;               // the restart question on the terminal (restart_prompt ask, terminal face)
  bool read_lines = false;        // typed lines: work, or "restart" (notify and forced)
  bool exit_after_check = false;  // leave once the first check's outcome is settled
};

// With --exit-after-check: the first check's outcome needs nothing more from
// this loop (the updater's stop() then lets the policy act on a staged version).
bool settled(const UpdateState& s, const LoopRules& rules, bool answered, bool restart_asked) {
  if (s.phase == Phase::kUpToDate || s.phase == Phase::kFailed || s.phase == Phase::kUpdatesOff) return true;
  if (s.phase != Phase::kStaged) return false;
  if (restart_asked) return !s.error.empty();  // a blocked restart; otherwise wait for kRestarting
  return !rules.ask || answered;
}

// The main thread's loop, until quit, a restart, or (--exit-after-check) the first check settled.
// Returns whether the updater is restarting.
bool run_events(TerminalUi& ui, AppUpdater& updater, SharedWork& work, const LoopRules& rules) {
  if (rules.read_lines) ui.start_reading_input();
  std::string asked;  // the version asked about
  bool answered = false, restart_asked = false;
  UpdateState last = updater.state();
  while (true) {
    TerminalUi::Event e = ui.next_event();
    if (e.kind == TerminalUi::EventKind::kQuit) return false;
    if (e.kind == TerminalUi::EventKind::kLine && e.text != "restart") work.add_line(e.text);
    bool restart = e.kind == TerminalUi::EventKind::kLine && e.text == "restart";
    if (e.kind == TerminalUi::EventKind::kAnswer) {
      answered = true;
      restart = ui.take_answer(e);
      if (!restart) updater.later();
    }
    if (restart) {
      restart_asked = true;
      updater.restart_now();
    }
    if (e.kind == TerminalUi::EventKind::kState) last = e.state;
    if (last.phase == Phase::kRestarting) return true;
    if (rules.ask && last.prompt == UpdateState::Prompt::kAsk && !last.dismissed && asked != last.version) {
      asked = last.version;
      ui.start_asking(last.version);
    }
    if (rules.exit_after_check && settled(last, rules, answered, restart_asked)) return false;
  }
}

// Quitting saves too; what cannot be saved is lost: say so, and exit non-zero.
int quit(TerminalUi& ui, SharedWork& work) {
  try {
    if (work.save()) ui.say("saved your work to " + work.file().string());
    return 0;
  } catch (const std::exception& e) {
    ui.say_not_saved(e.what(), "what was not saved is lost");
    return 1;
  }
}

// How a hand-over ended for this version.
enum class HandoverEnd {
  kReleased,       // the launcher's SIGTERM (the new version serves), a quit, or no word for kHandoverWait
  kLauncherEnded,  // the launcher ended without SIGTERM: the new version never got ready; we serve on
};

// After a hand-over this version serves on until the launcher's SIGTERM (the
// new one is ready), or until the launcher ends without it: the new version
// never got ready (handover_ready_timeout_seconds) or the launcher failed.
HandoverEnd wait_for_handover(TerminalUi& ui, int64_t launcher) {
  if (launcher > 0)
    std::thread([queue_post = [&ui](TerminalUi::Event e) { ui.post(std::move(e)); }, launcher] {
      if (process::wait_for_exit(launcher, kHandoverWait)) queue_post({TerminalUi::EventKind::kLauncherEnded, {}, ""});
    }).detach();
  auto until = std::chrono::system_clock::now() + kHandoverWait;
  while (auto e = ui.next_event_until(until)) {
    if (e->kind == TerminalUi::EventKind::kQuit) return HandoverEnd::kReleased;
    if (e->kind == TerminalUi::EventKind::kLauncherEnded) {
      spdlog::warn("the launcher (pid {}) ended without handing over: this version serves on", launcher);
      return HandoverEnd::kLauncherEnded;
    }
  }
  spdlog::warn("no SIGTERM from the launcher within {} minutes of the hand-over: exiting", kHandoverWait.count());
  return HandoverEnd::kReleased;
}

// The updater, with the save hook every restart runs first, and the web UI's socket to hand over.
std::unique_ptr<AppUpdater> open_updater(TerminalUi& ui, SharedWork& work, const std::optional<WebUiSocket>& socket,
                                         const std::vector<std::string>& restart_args, bool headless, bool forced) {
  AppUpdater::Options options;
  options.restart_args = restart_args;
  options.headless = headless;
  // The hook runs on the updater's policy thread, right before the launcher starts: say so first.
  auto self = std::make_shared<AppUpdater*>(nullptr);
  options.save_work = [&ui, &work, forced, self] {
    try {
      if (work.save()) ui.say("saved your work to " + work.file().string());
      if (*self) ui.say_restarting((*self)->state().version);
      return true;
    } catch (const std::exception& e) {
      std::string retry = RestartEscalation::describe(RestartEscalation::kSaveRetry);
      ui.say_not_saved(e.what(), forced ? "not restarting; trying again in " + retry : "not restarting");
      throw;
    }
  };
  if (socket) {
    options.listen_fds = {socket->fd()};
    options.listen_names = {WebUiSocket::kSocketName};
  }
  auto updater = AppUpdater::from_environment(std::move(options));
  if (!updater) fail(ErrorCode::kFailure, "no install root: not started by the launcher");
  *self = updater.get();
  updater->subscribe([&ui](const UpdateState& s) { ui.show(s); });
  return updater;
}

// The update checks: false (said) when no background check will run and none was asked for.
bool start_checks(TerminalUi& ui, AppUpdater& updater, const UpdateSettings& settings, bool check_now) {
  updater.start(check_now);
  if (check_now || settings.checks_automatically()) return true;
  ui.say(std::string("no background update checks: update_mode ") + update_mode_name(settings.mode) + " (" +
         settings.sources.at("update_mode").describe() + ")");
  return false;
}

// The UI's pieces that live as long as the app: the web UI and the desktop notification.
struct Faces {
  std::unique_ptr<UpdaterWebModel> model;
  std::unique_ptr<webui::WebUiServer> web;
  std::unique_ptr<RestartNotification> notification;
};

// The web UI (unless --ui none) and, with no terminal, the desktop notification when no page is open.
Faces open_faces(TerminalUi& ui, AppUpdater& updater, const std::optional<WebUiSocket>& socket, UiFace face,
                 bool no_browser) {
  Faces f;
  if (!socket) return f;
  f.model = std::make_unique<UpdaterWebModel>(updater);
  f.web = start_web_ui(ui, *f.model, *socket, face, no_browser);
  if (face == UiFace::kWeb) {
    webui::WebUiServer* web = f.web.get();
    f.notification = std::make_unique<RestartNotification>(
        updater, [web] { return web->open_event_streams() > 0; }, "mainapp");
    RestartNotification* n = f.notification.get();
    updater.subscribe([n](const UpdateState& s) { n->show(s); });
  }
  return f;
}

// Started by the launcher: the UI faces, the updater, and the loop until quit or restart.
int run_app(const ParsedArgs& args, const std::vector<std::string>& args_in, TerminalUi& ui, UiFace face,
            const std::string& version, const Layout& layout) {
  // Before any thread starts: it reads (and changes) the environment.
  std::optional<WebUiSocket> socket;
  if (face != UiFace::kNone) socket.emplace(WebUiSocket::acquire());
  start_termination_thread(ui);
  ui.say("mainapp " + version + " running (pid " + std::to_string(process::current_pid()) + ")");
  // A damaged config.json: what can be salvaged, and updates off (AppUpdater says so too).
  const char* launcher = std::getenv(env::kLauncher);
  const Config::Loaded loaded = Config::load_or_salvage(
      layout.config_file(), launcher ? stdfs::path(launcher).filename().string() : layout.root().filename().string());
  const Config& config = loaded.config;
  SharedWork work(open_work(ui, config.app_id, args.value("note")));
  UpdateSettings settings = read_settings(ui, layout, config);
  if (loaded.damaged()) {
    settings.mode = UpdateMode::kDisabled;
    settings.sources["update_mode"].note = "config.json is damaged: updates are off until `upkeep repair` rewrites it";
  }
  const bool headless = args.flag("headless") || config.headless;
  const bool forced = settings.restart_prompt == RestartPrompt::kForced;
  const LoopRules rules{.ask = face == UiFace::kTerminal && !headless && settings.restart_prompt == RestartPrompt::kAsk,
                        .read_lines = !headless && settings.restart_prompt != RestartPrompt::kAsk,
                        .exit_after_check = args.flag("exit-after-check")};
  // A second round only when a hand-over's new version never got ready: this
  // version serves on, with a fresh updater on the same socket and token.
  for (bool first = true;; first = false) {
    auto updater = open_updater(ui, work, socket, without_note(args_in), headless, forced);
    Faces faces = open_faces(ui, *updater, socket, face, args.flag("no-browser") || !first);
    if (first) report_started(ui, *updater, version);
    bool restarting = false;
    if (start_checks(ui, *updater, settings, args.flag("check-now")) || !rules.exit_after_check)
      restarting = run_events(ui, *updater, work, rules);
    updater->stop();  // the policy acts on what is staged; headless, it restarts at exit
    ui.wait_shown(updater->state().revision, std::chrono::steady_clock::now() + std::chrono::seconds(10));
    int code = 0;
    bool serve_on = false;
    if (!restarting && updater->state().phase != Phase::kRestarting)
      code = quit(ui, work);
    else if (socket)  // a restart at quit (headless) does not bring the app back
      serve_on = wait_for_handover(ui, updater->launcher_pid()) == HandoverEnd::kLauncherEnded && restarting;
    faces.web.reset();  // requests in flight finish; nothing reads the updater any more
    updater.reset();    // its listeners (the notification's too) are called no more
    if (!serve_on) return code;
    ui.say("the update did not start: mainapp " + version + " serves on");
  }
}

CommandLine mainapp_command_line() {
  CommandLine c("mainapp",
                "The reference application: embeds the upkeep library as a vendor's app would\n"
                "(a healthy start confirmed, background checks, restart to update), with a\n"
                "terminal UI and a local web UI. Started by its launcher; alone, updates are off.",
                {.version = ""});
  c.usage(
       "mainapp [--version] [--headless] [--exit-after-check] [--check-now]\n"
       "        [--progress auto|always|never] [--note TEXT] [--ui terminal|web|none] [--no-browser]")
      .flag("version", "print the version (and, on trial, confirm a healthy start), then exit")
      .flag("headless", "no prompts: a staged update restarts at exit")
      .flag("exit-after-check", "exit after the first check (and its restart, if any)")
      .flag("check-now", "the first check is a manual one: a staged rollout does not hold a release back")
      .option("progress", "WHEN", "the download's progress: auto (on a terminal), always or never")
      .option("note", "TEXT", "a line of unsaved work in the document, as if typed")
      .option("ui", "FACE", "terminal, web or none (default: terminal on a terminal, else web)")
      .flag("no-browser", "the web UI is not opened with xdg-open (its URL is printed)");
  return c;
}

// The options, the version, and --version; then, started by a launcher, the app.
int run(const std::vector<std::string>& args_in) {
  const ParsedArgs args = mainapp_command_line().parse(args_in);
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
  return run_app(args, args_in, ui, face, version, layout);
}

}  // namespace

int main(int argc, char** argv) {
  upkeep::init_logging({.program = "mainapp"});  // stderr until run() opens the install's log
  const std::vector<std::string> args(argv + 1, argv + argc);
  return upkeep::run_command("mainapp", args, [&] { return run(args); });
}

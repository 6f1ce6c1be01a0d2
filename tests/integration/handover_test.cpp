// Restart to update without downtime (the socket hand-over), end to end
// with an app that is not mainapp: tests/integration/handover_app/app.py,
// a small HTTP server released with `upkeep release --health confirm`,
// installed, and its update staged by the real updater. On GET /restart it
// starts the launcher with --upkeep-after-pid <its pid> --upkeep-handover
// and its listening socket; a bounded load client runs across the restart.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <set>

#include "load_clients.h"
#include "script_app_fixture.h"
#include "upkeep/platform/process.h"

using namespace upkeep::test;
namespace process = upkeep::process;

namespace {

// Releases the test app as `version`; `marker`: "CRASH" (it exits 3 at once),
// "NEVER_READY" (it serves but never confirms or says ready), or "".
void release_app(ScriptApp& a, const std::string& version, const std::string& marker = "") {
  stdfs::path d = a.vendor.dir() / ("web-" + version);
  stdfs::create_directories(d);
  stdfs::copy_file(stdfs::path(UPKEEP_SOURCE_DIR) / "tests/integration/handover_app/app.py", d / "app.py");
  write_text(d / "VERSION", version + "\n");
  if (!marker.empty()) write_text(d / marker, "");
  a.vendor.release(d, version, "", {"--program", "app.py", "--health", "confirm"});
}

std::string get(int port, const std::string& path) { return one_shot_get(port, path); }

// The load clients (load_clients.h), their answers as texts ("" = failed).
class Load : public LoadClients {
 public:
  Load(int port, int clients) : LoadClients(port, clients) {}
  std::vector<std::string> answers() {
    std::vector<std::string> out;
    for (const auto& a : LoadClients::answers()) out.push_back(a.text);
    return out;
  }
  int failed() {
    int n = 0;
    for (const auto& a : LoadClients::answers()) n += a.text.empty();
    return n;
  }
};

std::string pid_of(const std::string& answer) { return answer.substr(answer.find(' ') + 1); }

// Installs 1.0.0, starts it, stages 2.0.0, restarts the app under load; returns
// every answer, and checks that nothing failed and the old process ended.
std::vector<std::string> restart_under_load(ScriptApp& a, bool crash) {
  release_app(a, "1.0.0");
  a.installed = std::make_unique<Installed>(a.server->url, a.vendor.root_json(), "1.0.0");
  BackgroundProcess app({a.launcher()});
  std::string line = app.read_line();
  REQUIRE(line.rfind("port ", 0) == 0);
  int port = std::stoi(line.substr(5));
  std::string old_pid = std::to_string(app.pid());  // the launcher exec'ed 1.0.0: the same process
  // Staged while 1.0.0 runs, as a background check would.
  release_app(a, "2.0.0", crash ? "CRASH" : "");
  run_ok({(a.root() / "upkeep-updater").string(), "--root", a.root().string(), "--quiet"});
  REQUIRE(stdfs::exists(upkeep::Layout(a.root()).staged_dir("2.0.0")));

  Load load(port, 4);
  load.wait_for(40);
  CHECK(get(port, "/restart") == "restarting");
  // The old process ends only after the new one is ready, and serves until then.
  CHECK(process::wait_for_exit(app.pid(), std::chrono::seconds(60)));
  load.wait_for(80);
  load.stop();
  CHECK(load.failed() == 0);
  auto answers = load.answers();
  REQUIRE(!answers.empty());
  CHECK(answers.front() == "1.0.0 " + old_pid);
  CHECK(pid_of(answers.back()) != old_pid);  // a new process serves on the same socket
  CHECK(app.stop() == 0);                    // it finished its requests and exited 0 on SIGTERM
  // The new one is detached from us: end it (its launcher then ends as it did).
  std::string last_pid = pid_of(answers.back());
  kill(std::stoi(last_pid), SIGTERM);
  CHECK(process::wait_for_exit(std::stoi(last_pid), std::chrono::seconds(30)));
  return answers;
}

}  // namespace

TEST_CASE("a restart to update hands the listening socket over under load: no failed request, 1.0.0 then 2.0.0",
          "[handover][integration]") {
  ScriptApp a;
  auto answers = restart_under_load(a, false);
  CHECK(answers.back().rfind("2.0.0 ", 0) == 0);
  CHECK(a.current() == "versions/2.0.0");
  CHECK(a.state_of("2.0.0") == "good");
}

TEST_CASE("a new version that crashes on start: 1.0.0 is started again on the same socket, no failed request",
          "[handover][integration]") {
  ScriptApp a;
  auto answers = restart_under_load(a, true);
  for (const auto& r : answers) CHECK(r.rfind("1.0.0 ", 0) == 0);
  CHECK(a.current() == "versions/1.0.0");
  CHECK(a.state_of("2.0.0") == "bad");
}

namespace {

// Starts the installed app, restarts it with a hand-over under load while
// the new program (`new_version`, marked NEVER_READY) serves but is never
// ready: the launcher stops it at the ready timeout, the old one serves on.
// Returns the new program's pid.
int restart_to_never_ready(
    ScriptApp& a, const std::string& new_version, const std::function<void()>& while_running = [] {}) {
  BackgroundProcess app({a.launcher()});
  std::string line = app.read_line();
  REQUIRE(line.rfind("port ", 0) == 0);
  int port = std::stoi(line.substr(5));
  // The serving process: the launcher itself (exec'ed), or its child on a trial.
  std::string old_pid = pid_of(get(port, "/"));
  REQUIRE(!old_pid.empty());
  while_running();
  Load load(port, 4);
  load.wait_for(20);
  auto restarted = std::chrono::steady_clock::now();
  CHECK(get(port, "/restart") == "restarting");
  // Both accept on the socket until the launcher gives up on the new one.
  std::string from_new = load.wait_for_answer([&](const std::string& r) {
                               return r.rfind(new_version + " ", 0) == 0 && pid_of(r) != old_pid;
                             })
                             .text;
  REQUIRE(!from_new.empty());
  int new_pid = std::stoi(pid_of(from_new));
  CHECK(process::wait_for_exit(new_pid, std::chrono::seconds(30)));
  const auto exited = std::chrono::steady_clock::now();
  auto stopped_after = exited - restarted;
  CHECK(stopped_after >= std::chrono::seconds(2));  // not before the timeout (config: 2 s)
  CHECK(stopped_after < std::chrono::seconds(2) + std::chrono::seconds(5) + std::chrono::seconds(10));
  load.wait_for(40);
  load.stop();
  CHECK(load.failed() == 0);
  // Each client's first answer after the exit may be one the new program sent before it
  // ended (recorded when it arrived); every request sent after that is the old program's.
  std::set<int> past_in_flight;
  for (const auto& r : load.LoadClients::answers())
    if (r.at >= exited && !past_in_flight.insert(r.client).second) CHECK(pid_of(r.text) == old_pid);
  CHECK(process::is_alive(std::stoi(old_pid)));  // never released
  CHECK(app.stop() == 0);
  return new_pid;
}

}  // namespace

TEST_CASE(
    "a hand-over whose new program is never ready: stopped at handover_ready_timeout_seconds, the old one serves on",
    "[handover][integration]") {
  ScriptApp a;
  release_app(a, "1.0.0", "NEVER_READY");  // nothing staged: the launcher starts the same version again
  a.installed = std::make_unique<Installed>(a.server->url, a.vendor.root_json(), "1.0.0");
  a.edit_config([](upkeep::Config& c) { c.handover_ready_timeout_seconds = 2; });
  restart_to_never_ready(a, "1.0.0");
  CHECK(a.current() == "versions/1.0.0");
}

TEST_CASE("a hand-over to a version on trial that never confirms: stopped at the ready timeout, still on trial",
          "[handover][integration]") {
  ScriptApp a;
  release_app(a, "1.0.0");
  a.installed = std::make_unique<Installed>(a.server->url, a.vendor.root_json(), "1.0.0");
  a.edit_config([](upkeep::Config& c) {
    c.trial_timeout_seconds = 1;  // the trial window passes first; the ready timeout still holds
    c.handover_ready_timeout_seconds = 2;
  });
  restart_to_never_ready(a, "2.0.0", [&] {
    release_app(a, "2.0.0", "NEVER_READY");  // staged while 1.0.0 runs
    run_ok({(a.root() / "upkeep-updater").string(), "--root", a.root().string(), "--quiet"});
  });
  // Stopped by the launcher: no evidence against the release, but the start counts (3 such starts fail it).
  CHECK(a.state_of("2.0.0") == "trial");
  CHECK(a.attempts_of("2.0.0") == 1);
}

// Restart to update without downtime (the socket hand-over), end to end
// with an app that is not mainapp: tests/integration/handover_app/app.py,
// a small HTTP server released with `upkeep release --health confirm`,
// installed, and its update staged by the real updater. On GET /restart it
// starts the launcher with --upkeep-after-pid <its pid> --upkeep-handover
// and its listening socket; a bounded load client runs across the restart.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "script_app_fixture.h"
#include "upkeep/platform/process.h"

using namespace upkeep::test;
namespace process = upkeep::process;

namespace {

// Releases the test app as `version` (CRASH: it exits 3 at once).
void release_app(ScriptApp& a, const std::string& version, bool crash) {
  stdfs::path d = a.vendor.dir() / ("web-" + version);
  stdfs::create_directories(d);
  stdfs::copy_file(stdfs::path(UPKEEP_SOURCE_DIR) / "tests/integration/handover_app/app.py", d / "app.py");
  write_text(d / "VERSION", version + "\n");
  if (crash) write_text(d / "CRASH", "");
  a.vendor.release(d, version, "", {"--program", "app.py", "--health", "confirm"});
}

// One GET on a new connection: "VERSION PID", or "" when it failed in any way.
std::string get(int port, const std::string& path) {
  HttpReply r = http_get(port, path);
  if (r.status != 200) return "";
  while (!r.body.empty() && r.body.back() == '\n') r.body.pop_back();
  return r.body;
}

// Clients that send one-shot GETs in a loop until stopped, recording every answer in order.
class Load {
 public:
  Load(int port, int clients) {
    for (int i = 0; i < clients; ++i)
      threads_.emplace_back([this, port] {
        while (!stop_) {
          std::string r = get(port, "/");
          std::lock_guard<std::mutex> lock(mutex_);
          if (r.empty()) ++failed_;
          answers_.push_back(r);
          arrived_.notify_all();
        }
      });
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return answers_.size();
  }
  // Blocks (bounded: 60 s) until `n` more answers arrived.
  void wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    size_t target = answers_.size() + n;
    arrived_.wait_for(lock, std::chrono::seconds(60), [&] { return answers_.size() >= target; });
  }
  std::vector<std::string> answers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return answers_;
  }
  int failed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return failed_;
  }

 private:
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> answers_;
  int failed_ = 0;
};

std::string pid_of(const std::string& answer) { return answer.substr(answer.find(' ') + 1); }

// Installs 1.0.0, starts it, stages 2.0.0, restarts the app under load; returns
// every answer, and checks that nothing failed and the old process ended.
std::vector<std::string> restart_under_load(ScriptApp& a, bool crash) {
  release_app(a, "1.0.0", false);
  a.installed = std::make_unique<Installed>(a.server->url, a.vendor.root_json(), "1.0.0");
  BackgroundProcess app({a.launcher()});
  std::string line = app.read_line();
  REQUIRE(line.rfind("port ", 0) == 0);
  int port = std::stoi(line.substr(5));
  std::string old_pid = std::to_string(app.pid());  // the launcher exec'ed 1.0.0: the same process
  // Staged while 1.0.0 runs, as a background check would.
  release_app(a, "2.0.0", crash);
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

// handover_bench: what a restart to update costs the clients of a server,
// with the socket hand-over and with a plain stop-and-start, side by side in
// one run (docs/benchmarks.md, "Restart under load").
//
// The app is tests/integration/handover_app/app.py (a small Python HTTP
// server, each answer takes about 10 ms), released with the real `upkeep
// release --program app.py --health confirm` into a scratch repository served
// by the in-process RepoServer, installed with `upkeep install`. Each run
// starts the installed version through its launcher on a fixed port, stages
// the next version with the real `upkeep-updater`, puts --clients client
// threads on it (one GET per connection, 5 s receive time-out; a failed
// attempt is retried after 1 ms, the same request again) and asks the app to restart:
//   hand-over: GET /restart: the launcher starts the new version on the same
//              listening socket; the old one finishes once it is ready;
//   rollback:  GET /restart to a version that crashes at once (a broken
//              release): the launcher starts the previous version again on
//              the same socket; the old process finishes once that one is ready;
//   plain:     GET /restart-plain: the old one exits, the launcher (after
//              --upkeep-after-pid) applies and starts the new one, which binds
//              the port again.
// The modes take turns, --runs of each. A run ends --after-ms after the first
// answer of the new version (rollback: of the previous version's new process). Measured: the longest gap between two
// successful answers (any client) from the restart request on, the failed requests (a request some attempt of which was
// refused, reset or timed out; the attempts are counted too), and the time until the new version answered. Prints each
// run, then medians, not pass/fail.
//
// usage: handover_bench [--runs N] [--clients N] [--after-ms N]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "bench_util.h"
#include "figures.h"
#include "load_clients.h"
#include "upkeep/base/command_line.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/process.h"

namespace {

using namespace upkeep;
using namespace upkeep::bench;

std::string get(int port, const std::string& path) { return test::one_shot_get(port, path, 5); }

double ms_of(test::LoadClients::Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(t.time_since_epoch()).count();
}

struct World {
  stdfs::path s, app_source, prefix;
  std::string upkeep, url;
  int port = 0;
};

enum class Mode { kHandover, kRollback, kPlain };

// `crash`: the release exits 3 at once (app.py's CRASH file).
void release(const World& w, const std::string& version, bool crash = false) {
  stdfs::path d = w.s / ("app-" + version);
  stdfs::create_directories(d);
  stdfs::copy_file(w.app_source, d / "app.py");
  if (crash) fs::write_file_atomic(d / "CRASH", "");
  fs::write_file_atomic(d / "VERSION", version + "\n");
  time_spawn_wait({w.upkeep, "release", d.string(), "--version", version, "--keys", (w.s / "keys").string(), "--repo",
                   (w.s / "repo").string(), "--no-delta", "--program", "app.py", "--health", "confirm"});
}

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    fail(ErrorCode::kNetwork, "handover_bench: no free port");
  close(s);
  return ntohs(addr.sin_port);
}

int64_t parent_of(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  int64_t ppid = -1;
  std::sscanf(stat.c_str() + close_paren + 2, "%*c %ld", &ppid);
  return ppid;
}

// Ends the app serving after a run, and its launcher.
void end_app(int64_t pid) {
  int64_t launcher = parent_of(pid);
  kill(static_cast<pid_t>(pid), SIGTERM);
  process::wait_for_exit(pid, std::chrono::seconds(30));
  if (launcher > 1) process::wait_for_exit(launcher, std::chrono::seconds(30));
}

struct RunResult {
  double longest_gap = 0, baseline_gap = 0, to_new = 0;
  size_t failed = 0, failed_attempts = 0, answered = 0;
};

// The longest time between consecutive answers in [from, to] (from `from` to the first answer, too).
double longest_gap(const std::vector<double>& answered_at, double from, double to) {
  std::vector<double> t{from};
  for (double a : answered_at)
    if (a >= from && a <= to) t.push_back(a);
  std::sort(t.begin(), t.end());
  double gap = 0;
  for (size_t i = 1; i < t.size(); ++i) gap = std::max(gap, t[i] - t[i - 1]);
  return gap;
}

RunResult restart_once(const World& w, const std::string& from, const std::string& to, Mode mode, int clients,
                       int after_ms) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, "pipe");
  process::SpawnOptions o;
  o.argv = {(w.prefix / "bench").string()};
  o.env = process::current_environment();
  o.env["HANDOVER_APP_PORT"] = std::to_string(w.port);
  o.move_fds = {{out[1], 1}};
  o.stdin_null = true;
  int64_t first = process::spawn(o);
  close(out[1]);
  std::string said;  // "port N\n": serving
  char buf[256];
  ssize_t n;
  while (said.find('\n') == std::string::npos && (n = read(out[0], buf, sizeof buf)) > 0) said.append(buf, n);
  if (said.rfind("port ", 0) != 0)
    fail(ErrorCode::kFailure, "handover_bench: version " + from + " did not start (it said: " + said + ")");
  release(w, to, mode == Mode::kRollback);
  time_spawn_wait({(w.prefix / "upkeep-updater").string(), "--root", w.prefix.string(), "--quiet"});

  test::LoadClients load(w.port, clients, 5, std::chrono::milliseconds(1));
  load.wait_for(static_cast<size_t>(clients) * 20);  // a steady state
  double restart_at = now_ms();
  size_t before = load.count();
  if (get(w.port, mode == Mode::kPlain ? "/restart-plain" : "/restart") != "restarting")
    fail(ErrorCode::kFailure, "handover_bench: the app did not take the restart");
  // The new process: `to`'s, or after a rollback `from`'s again (another pid).
  const std::string expected = mode == Mode::kRollback ? from : to;
  const std::string old_answer = from + " " + std::to_string(first);
  auto first_new = load.wait_for_answer(
      [&](const std::string& t) { return t.rfind(expected + " ", 0) == 0 && t.rfind(old_answer, 0) != 0; }, before);
  if (first_new.text.empty()) fail(ErrorCode::kFailure, "handover_bench: a new " + expected + " never answered");
  double new_at = ms_of(first_new.at);
  // Until --after-ms past the new version's first answer (answers are what the clock waits on).
  while (now_ms() - new_at < after_ms) load.wait_for(1);
  load.stop();
  double end = now_ms();

  RunResult r;
  std::vector<double> ok_at;
  std::vector<bool> failing(static_cast<size_t>(clients), false);  // a client's last attempt failed
  for (const auto& a : load.answers()) {
    double t = ms_of(a.at);
    if (!a.text.empty()) ok_at.push_back(t);
    if (t < restart_at) continue;
    r.failed_attempts += a.text.empty();
    // A client retries the same request: a run of failures is one failed request.
    r.failed += a.text.empty() && !failing[static_cast<size_t>(a.client)];
    failing[static_cast<size_t>(a.client)] = a.text.empty();
  }
  r.longest_gap = longest_gap(ok_at, restart_at, end);
  r.baseline_gap = ok_at.empty() ? 0 : longest_gap(ok_at, ok_at.front(), restart_at);
  r.to_new = new_at - restart_at;
  r.answered = ok_at.size();
  auto answers = load.answers();
  std::string last = answers.back().text;
  for (auto it = answers.rbegin(); last.empty() && it != answers.rend(); ++it) last = it->text;
  process::wait_child(first);  // the old app: released (hand-over) or exited (plain)
  close(out[0]);
  end_app(std::stoll(last.substr(last.find(' ') + 1)));
  return r;
}

void print_summary(const char* name, const std::vector<RunResult>& runs, FigureSet& figures) {
  std::vector<double> gap, base, to_new, failed;
  for (const auto& r : runs) {
    gap.push_back(r.longest_gap);
    base.push_back(r.baseline_gap);
    to_new.push_back(r.to_new);
    failed.push_back(static_cast<double>(r.failed));
  }
  Stats g = stats_of(gap), b = stats_of(base), t = stats_of(to_new), f = stats_of(failed);
  double max_failed = *std::max_element(failed.begin(), failed.end());
  std::printf(
      "  %-10s longest gap %7.1f ms (min %.1f, max %.1f) | failed requests %3.0f (max %.0f) | new answers after %7.1f "
      "ms | "
      "gap before restart %.1f ms\n",
      name, g.median, g.min, *std::max_element(gap.begin(), gap.end()), f.median, max_failed, t.median, b.median);
  const std::string mode(name);
  figures.add(mode + ": longest gap, median", g.median, "ms", "gap before the restart " + fixed(b.median, 1) + " ms");
  // Section 7: with the hand-over no request fails; the plain restart is the comparison.
  if (mode == "plain")
    figures.add(mode + ": failed requests, most in a run", max_failed, "");
  else
    figures.at_most(mode + ": failed requests, most in a run", max_failed, "", 0, "0 (none fails)");
}

int run(const std::vector<std::string>& args) {
  const ParsedArgs cli = CommandLine("handover_bench", "Measures the socket hand-over of a restart to update.")
                             .option("runs", "N", "measured runs, default 5")
                             .option("clients", "N", "clients sending requests through it, default 8")
                             .option("after-ms", "MS", "when the restart starts, default 500")
                             .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                             .parse(args);
  const int runs = static_cast<int>(cli.int_value_or("runs", 5, 1, 1000));
  const int clients = static_cast<int>(cli.int_value_or("clients", 8, 1, 256));
  const int after_ms = static_cast<int>(cli.int_value_or("after-ms", 500, 0, 60000));
  FigureSet figures("handover_bench", cli.flag("json"));
  figures.param("runs", runs);
  figures.param("clients", clients);
  figures.param("after_ms", after_ms);

  ScratchDir scratch(temp_base(), "handover-bench");
  World w;
  w.s = scratch.path();
  w.upkeep = (build_dir() / "upkeep").string();
  w.app_source = stdfs::path(UPKEEP_SOURCE_DIR) / "tests/integration/handover_app/app.py";
  w.prefix = w.s / "install";
  w.port = free_port();
  time_spawn_wait({w.upkeep, "keys", "init", "--app-id", "bench", "--keys", (w.s / "keys").string(), "--repo",
                   (w.s / "repo").string()});
  release(w, "1.0.0");
  net::RepoServer server(w.s / "repo");
  server.start();
  w.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  time_spawn_wait({w.upkeep, "install", "--repo", w.url, "--prefix", w.prefix.string(), "--version", "1.0.0",
                   "--trusted-root", (w.s / "repo/metadata/1.root.json").string()});

  std::printf("handover_bench: %d runs of each, %d clients, port %d, load %.2f\n", runs, clients, w.port,
              load_average_1min());
  std::vector<RunResult> results[3];
  const char* names[3] = {"hand-over", "rollback", "plain"};
  std::string current = "1.0.0";
  for (int i = 0; i < 3 * runs; ++i) {
    Mode mode = static_cast<Mode>(i % 3);
    std::string from = current, to = std::to_string(i + 2) + ".0.0";
    RunResult r = restart_once(w, from, to, mode, clients, after_ms);
    if (mode != Mode::kRollback) current = to;  // a rolled-back version is never offered again
    results[i % 3].push_back(r);
    std::printf(
        "  run %2d %-9s %s -> %s: longest gap %7.1f ms, failed requests %zu (attempts %zu), new answers after %7.1f "
        "ms, "
        "%zu answers\n",
        i + 1, names[i % 3], from.c_str(), to.c_str(), r.longest_gap, r.failed, r.failed_attempts, r.to_new,
        r.answered);
  }
  std::printf("medians over %d runs each (load %.2f):\n", runs, load_average_1min());
  for (int m = 0; m < 3; ++m) print_summary(names[m], results[m], figures);
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return main_of("handover_bench", run, argc, argv); }

// Release hooks end to end with the real programs: `upkeep release --hook`,
// `upkeep install`, the launcher's trial and `upkeep uninstall`. The hooks
// are shell scripts that append a line to a log outside the install root
// (HOOK_LOG), so the test sees every run: which hook, which version, from
// which version, in which folder.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "invariants.h"
#include "release_fixture.h"

using namespace upkeep::test;
using upkeep::Json;

namespace {

// One script for every kind: logs "<argv1> <UPKEEP_HOOK> <version> <previous or -> <cwd>", then fails,
// or blocks for the crash test, when the test's environment asks it to; then `extra`.
std::string hook_script(const std::string& extra) {
  return "#!/bin/sh\n"
         "echo \"$1 $UPKEEP_HOOK $UPKEEP_VERSION ${UPKEEP_PREVIOUS_VERSION:--} $(pwd)\" >> \"$HOOK_LOG\"\n"
         "if [ \"$1\" = install ] && [ -n \"$HOOK_FAIL_INSTALL\" ]; then echo 'cannot configure' >&2; exit 5; fi\n"
         "if [ \"$1\" = uninstall ] && [ -n \"$HOOK_FAIL_UNINSTALL\" ]; then exit 7; fi\n"
         "if [ \"$1\" = update ] && [ -n \"$HOOK_BLOCK\" ]; then\n"
         "  echo $$ > \"$HOOK_BLOCK/started\"\n"
         "  read x < \"$HOOK_BLOCK/release\"\n"
         "fi\n" +
         extra;
}

stdfs::path add_hook(const stdfs::path& folder, const std::string& extra = "") {
  write_text(folder / "bin" / "hook", hook_script(extra));
  chmod((folder / "bin" / "hook").c_str(), 0755);
  return folder;
}

// A small release whose main program is a script printing "mainapp <v>" (a clean exit: a healthy trial).
stdfs::path script_folder(const VendorRepo& vendor, const std::string& version) {
  stdfs::path d = vendor.dir() / ("build-" + version);
  write_text(d / "mainapp", "#!/bin/sh\necho \"mainapp " + version + "\"\n");
  chmod((d / "mainapp").c_str(), 0755);
  return d;
}

const std::vector<std::string> kAllHooks = {"--hook",          "install=bin/hook", "--hook",
                                            "update=bin/hook", "--hook",           "uninstall=bin/hook"};

std::vector<std::string> log_lines(const stdfs::path& log) {
  std::vector<std::string> lines;
  if (!stdfs::exists(log)) return lines;
  std::string text = read_text(log), line;
  for (char c : text) {
    if (c != '\n') {
      line += c;
    } else {
      lines.push_back(line);
      line.clear();
    }
  }
  return lines;
}

// The log line a hook of `kind` writes for `version` in the root `prefix`.
std::string hook_line(const std::string& kind, const std::string& version, const std::string& previous,
                      const stdfs::path& prefix) {
  return kind + " " + kind + " " + version + " " + previous + " " +
         (stdfs::canonical(prefix) / "versions" / version).string();
}

const Json* hook_run(const Json& status, const std::string& version, const std::string& kind) {
  for (const auto& h : status.get_array("hooks"))
    if (h.get_string("version") == version && h.get_string("kind") == kind) return &h;
  return nullptr;
}

bool has_event(const Json& status, const std::string& kind, const std::string& version) {
  for (const auto& e : status.get_array("events"))
    if (e.get_string("kind") == kind && e.get_string("version") == version) return true;
  return false;
}

// Waits (no polling) until a writer puts a line into the FIFO `path`, or `pid` ends, or 120 s pass.
std::string read_fifo_line(const stdfs::path& path, pid_t pid) {
  int fifo = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  REQUIRE(fifo >= 0);
  REQUIRE(pidfd >= 0);
  std::string line;
  while (line.empty() || line.back() != '\n') {
    pollfd p[2] = {{fifo, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int rc = poll(p, 2, 120000);
    if (rc <= 0 || (p[1].revents & POLLIN)) break;  // time out, or the launcher ended first
    char buf[64];
    ssize_t n = read(fifo, buf, sizeof buf);
    if (n > 0) line.append(buf, static_cast<size_t>(n));
    if (n == 0 && (p[0].revents & POLLHUP)) break;
  }
  close(fifo);
  close(pidfd);
  return line;
}

}  // namespace

TEST_CASE(
    "hooks run at install, update and uninstall, failing or timed-out update hooks roll back, a crash "
    "mid-hook runs it again",
    "[hooks][integration]") {
  VendorRepo vendor;
  vendor.release(add_hook(vendor.build_folder("1.0.0")), "1.0.0", "", kAllHooks);
  vendor.release(add_hook(vendor.build_folder("2.0.0")), "2.0.0", "", kAllHooks);
  RepoServerProcess server(vendor.repo());
  const stdfs::path log_a = vendor.dir() / "hooks-a.log";
  const std::map<std::string, std::string> env_a = {{"HOOK_LOG", log_a.string()}};

  // Install: the install hook runs once, in the version folder, after the version is in place.
  Installed a(server.url, vendor.root_json(), "1.0.0", env_a);
  REQUIRE(log_lines(log_a) == std::vector<std::string>{hook_line("install", "1.0.0", "-", a.prefix())});
  {
    Json status = a.status();
    const Json* h = hook_run(status, "1.0.0", "install");
    REQUIRE(h);
    CHECK(h->get_string("state") == "succeeded");
    CHECK(h->get_string("path") == "bin/hook");
    CHECK(has_event(status, "hook_succeeded", "1.0.0"));
  }

  // Update to 2.0.0: its update hook runs once, with UPKEEP_PREVIOUS_VERSION=1.0.0, before the main program.
  {
    RunResult r = run({a.launcher().string(), "--upkeep-check-now", "--version"}, env_a);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "mainapp 2.0.0\n"));
  }
  CHECK(a.state_of("2.0.0") == "good");
  run_ok({a.launcher().string(), "--version"}, env_a);  // later starts run no hook
  REQUIRE(log_lines(log_a) == std::vector<std::string>{hook_line("install", "1.0.0", "-", a.prefix()),
                                                       hook_line("update", "2.0.0", "1.0.0", a.prefix())});

  // 3.0.0's update hook exits 1: a failed trial, rolled back in the same launch; its program never starts.
  vendor.release(add_hook(script_folder(vendor, "3.0.0"), "exit 1\n"), "3.0.0", "", kAllHooks);
  {
    RunResult r = run({a.launcher().string(), "--upkeep-check-now", "--version"}, env_a);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "version 3.0.0 failed its update hook bin/hook (exit code 1); going back to 2.0.0"));
    CHECK_FALSE(contains(r.out, "mainapp 3.0.0"));
    CHECK(contains(r.out, "mainapp 2.0.0\n"));
  }
  CHECK(a.current() == "versions/2.0.0");
  CHECK(a.state_of("3.0.0") == "bad");
  CHECK(log_lines(log_a).back() == hook_line("update", "3.0.0", "2.0.0", a.prefix()));
  {
    Json status = a.status();
    CHECK(has_event(status, "rolled_back", "3.0.0"));
    CHECK(has_event(status, "hook_failed", "3.0.0"));
    const Json* h = hook_run(status, "3.0.0", "update");
    REQUIRE(h);
    CHECK(h->get_string("state") == "failed");
    CHECK(h->get_int("exit_code") == 1);
  }

  // 4.0.0's update hook outlives its 1 s time limit: killed, rolled back in the same launch.
  vendor.release(add_hook(script_folder(vendor, "4.0.0"), "exec sleep 120\n"), "4.0.0", "",
                 {"--hook", "update=bin/hook", "--hook-timeout", "1"});
  {
    RunResult r = run({a.launcher().string(), "--upkeep-check-now", "--version"}, env_a);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err,
                   "version 4.0.0 timed out in its update hook bin/hook (still running after its 1 s time "
                   "limit (its process group was killed)); going back to 2.0.0"));
    CHECK_FALSE(contains(r.out, "mainapp 4.0.0"));
    CHECK(contains(r.out, "mainapp 2.0.0\n"));
  }
  CHECK(a.current() == "versions/2.0.0");
  CHECK(a.state_of("4.0.0") == "bad");
  {
    Json status = a.status();
    CHECK(has_event(status, "rolled_back", "4.0.0"));
    CHECK(has_event(status, "hook_timed_out", "4.0.0"));
    REQUIRE(hook_run(status, "4.0.0", "update"));
    CHECK(hook_run(status, "4.0.0", "update")->get_string("state") == "timed_out");
  }

  // 5.0.0: the launcher is killed (SIGKILL) while the update hook runs, and the hook with it.
  vendor.release(add_hook(script_folder(vendor, "5.0.0")), "5.0.0", "", kAllHooks);
  const stdfs::path block = vendor.dir() / "block";
  stdfs::create_directories(block);
  REQUIRE(mkfifo((block / "started").c_str(), 0600) == 0);
  REQUIRE(mkfifo((block / "release").c_str(), 0600) == 0);  // never opened for writing: the hook blocks
  {
    BackgroundProcess launcher({a.launcher().string(), "--upkeep-check-now", "--version"},
                               {{"HOOK_LOG", log_a.string()}, {"HOOK_BLOCK", block.string()}});
    std::string line = read_fifo_line(block / "started", launcher.pid());
    REQUIRE_FALSE(line.empty());
    pid_t hook = static_cast<pid_t>(std::stol(line));
    REQUIRE(hook > 1);
    CHECK(launcher.stop(SIGKILL) == 128 + SIGKILL);
    kill(-hook, SIGKILL);  // the hook leads its own process group
  }
  {
    Json status = a.status();
    REQUIRE(hook_run(status, "5.0.0", "update"));
    CHECK(hook_run(status, "5.0.0", "update")->get_string("state") == "started");  // visible: no outcome
    CHECK(a.state_of("5.0.0") == "trial");
  }
  // The next start runs the interrupted hook again and completes the update.
  {
    RunResult r = run({a.launcher().string(), "--version"}, env_a);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "mainapp 5.0.0\n");
  }
  {
    std::vector<std::string> lines = log_lines(log_a);
    REQUIRE(lines.size() >= 2);
    CHECK(lines[lines.size() - 2] == hook_line("update", "5.0.0", "2.0.0", a.prefix()));
    CHECK(lines.back() == hook_line("update", "5.0.0", "2.0.0", a.prefix()));
    Json status = a.status();
    const Json* h = hook_run(status, "5.0.0", "update");
    REQUIRE(h);
    CHECK(h->get_string("state") == "succeeded");
    CHECK(h->get_int("attempts") == 2);
    CHECK(a.state_of("5.0.0") == "good");
    auto problems = check_invariants(a.prefix(), {{"5.0.0"}, true, true});
    CHECK(problems.empty());
  }

  // Crash point hook.started (after "started" is committed, before the hook is spawned), in a second root.
  const stdfs::path log_b = vendor.dir() / "hooks-b.log";
  Installed b(server.url, vendor.root_json(), "2.0.0", {{"HOOK_LOG", log_b.string()}});
  {
    RunResult r = run({b.launcher().string(), "--upkeep-check-now", "--version"},
                      {{"HOOK_LOG", log_b.string()}, {"UPKEEP_CRASH_AT", "hook.started"}});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 128 + SIGKILL);
    CHECK(log_lines(log_b).size() == 1);  // only the install hook: the crash came first
    REQUIRE(hook_run(b.status(), "5.0.0", "update"));
    CHECK(hook_run(b.status(), "5.0.0", "update")->get_string("state") == "started");
  }
  {
    RunResult r = run({b.launcher().string(), "--version"}, {{"HOOK_LOG", log_b.string()}});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "mainapp 5.0.0\n");
    CHECK(log_lines(log_b) == std::vector<std::string>{hook_line("install", "2.0.0", "-", b.prefix()),
                                                       hook_line("update", "5.0.0", "2.0.0", b.prefix())});
    CHECK(hook_run(b.status(), "5.0.0", "update")->get_int("attempts") == 2);
    CHECK(check_invariants(b.prefix(), {{"5.0.0"}, true, true}).empty());
  }

  // Uninstall runs the current version's uninstall hook before removing the files.
  {
    const std::string expected = hook_line("uninstall", "5.0.0", "-", a.prefix());
    RunResult r = run_ok({program("upkeep").string(), "uninstall", "--prefix", a.prefix().string(), "--json"}, env_a);
    Json out = Json::parse(r.out, "uninstall --json");
    CHECK(out.get_bool("removed"));
    CHECK(out.at("hook").get_string("state") == "succeeded");
    CHECK(out.at("hook").get_string("version") == "5.0.0");
    CHECK(log_lines(log_a).back() == expected);
    CHECK_FALSE(stdfs::exists(a.prefix()));
  }
  // A failing uninstall hook is reported and does not block the uninstall.
  {
    RunResult r = run({program("upkeep").string(), "uninstall", "--prefix", b.prefix().string(), "--json"},
                      {{"HOOK_LOG", log_b.string()}, {"HOOK_FAIL_UNINSTALL", "1"}});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err,
                   "warning: the uninstall hook bin/hook of 5.0.0 failed: exit code 7; the application was "
                   "removed anyway"));
    Json out = Json::parse(r.out, "uninstall --json");
    CHECK(out.get_bool("removed"));
    CHECK(out.at("hook").get_string("state") == "failed");
    CHECK(out.at("hook").get_int("exit_code") == 7);
    CHECK_FALSE(stdfs::exists(b.prefix()));
  }
}

TEST_CASE(
    "upkeep release refuses a hook that is missing or not executable, a failing install hook undoes the "
    "install",
    "[hooks][integration]") {
  VendorRepo vendor;
  stdfs::path folder = add_hook(script_folder(vendor, "1.0.0"));
  write_text(folder / "share" / "data.txt", "data\n");
  chmod((folder / "share" / "data.txt").c_str(), 0644);
  const std::string timestamp = read_text(vendor.repo() / "metadata" / "timestamp.json");
  {
    RunResult r = run(vendor.release_argv(folder, "1.0.0", {"--hook", "update=bin/missing"}));
    CHECK(r.exit_code == 10);
    CHECK(contains(r.err, folder.string() + ": hooks.update.path 'bin/missing' is not a file of this release folder"));
  }
  {
    RunResult r = run(vendor.release_argv(folder, "1.0.0", {"--hook", "install=share/data.txt"}));
    CHECK(r.exit_code == 10);
    CHECK(contains(r.err, "hooks.install.path 'share/data.txt' has mode 0644, expected an executable file"));
  }
  {
    RunResult r = run(vendor.release_argv(folder, "1.0.0", {"--hook", "preinstall=bin/hook"}));
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "--hook expects KIND=PATH with KIND one of install, update or uninstall"));
  }
  // Refused releases leave the repository as it was.
  CHECK(read_text(vendor.repo() / "metadata" / "timestamp.json") == timestamp);
  CHECK_FALSE(stdfs::exists(vendor.repo() / "targets" / "demo" / "1.0.0"));

  vendor.release(folder, "1.0.0", "", kAllHooks);
  RepoServerProcess server(vendor.repo());
  TempDir dir;
  const stdfs::path log = dir / "hooks.log";
  const stdfs::path prefix = dir / "app";
  std::vector<std::string> install{
      program("upkeep").string(), "install", "--repo", server.url, "--prefix", prefix.string(), "--trusted-root",
      vendor.root_json().string()};
  {
    RunResult r = run(install, {{"HOOK_LOG", log.string()}, {"HOOK_FAIL_INSTALL", "1"}});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "the install hook bin/hook of 1.0.0 failed: exit code 5; the install is undone"));
    CHECK(contains(r.err, "cannot configure"));
    CHECK(log_lines(log).size() == 1);   // it really ran
    CHECK_FALSE(stdfs::exists(prefix));  // nothing half-installed stays
  }
  // Nothing left in the way: the same install then succeeds, running the hook again.
  run_ok(install, {{"HOOK_LOG", log.string()}});
  CHECK(log_lines(log).size() == 2);
  CHECK(run_ok({(prefix / "demo").string(), "--version"}).out == "mainapp 1.0.0\n");
}

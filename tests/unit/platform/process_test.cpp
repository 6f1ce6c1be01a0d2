#include "upkeep/platform/process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace process = upkeep::process;
namespace stdfs = std::filesystem;

using upkeep::test::error_of;

namespace {

// A pipe whose write end a child inherits; the parent reads what the child wrote.
class OutputPipe {
 public:
  OutputPipe() {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    read_ = fds[0];
    write_ = fds[1];
  }
  ~OutputPipe() {
    if (read_ >= 0) close(read_);
    close_write_end();
  }
  int write_fd() const { return write_; }
  void close_write_end() {
    if (write_ >= 0) close(write_);
    write_ = -1;
  }
  // Everything until every writer has closed its end (blocking read, no polling).
  std::string read_all() {
    close_write_end();
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = read(read_, buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // One line, without waiting for the writers to close.
  std::string read_line() {
    std::string out;
    char c;
    while (read(read_, &c, 1) == 1 && c != '\n') out += c;
    return out;
  }

 private:
  int read_ = -1;
  int write_ = -1;
};

// Starts /bin/sh -c `script`; the pipe's write end is fd 3 in the script's eyes via "$OUT".
int64_t spawn_sh(const std::string& script, OutputPipe* out = nullptr, bool detach = false) {
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  if (out) {
    o.env["OUT"] = std::to_string(out->write_fd());
    o.inherit_fds = {out->write_fd()};
  }
  o.detach = detach;
  return process::spawn(o);
}

}  // namespace

TEST_CASE("spawn of a missing program is kNotFound naming it, a non-executable is kFailure", "[process]") {
  TempDir dir;
  process::SpawnOptions o;
  o.argv = {(dir / "no-such-program").string()};
  auto msg = error_of([&] { process::spawn(o); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains("cannot start " + (dir / "no-such-program").string()));

  write_text(dir / "data.txt", "not a program");
  stdfs::permissions(dir / "data.txt", stdfs::perms::owner_read | stdfs::perms::owner_write);
  o.argv = {(dir / "data.txt").string()};
  // Root may execute anything with an x bit; without one even root gets EACCES.
  msg = error_of([&] { process::spawn(o); }, ErrorCode::kFailure);
  CHECK_THAT(msg, Catch::Contains((dir / "data.txt").string()) && Catch::Contains("denied"));

  o.argv.clear();
  error_of([&] { process::spawn(o); }, ErrorCode::kUsage);
}

TEST_CASE("exec_replace that cannot exec throws and the process carries on", "[process]") {
  TempDir dir;
  auto msg = error_of([&] { process::exec_replace({(dir / "missing").string(), "arg"}, {}); }, ErrorCode::kNotFound);
  CHECK_THAT(msg, Catch::Contains((dir / "missing").string()));
  error_of([&] { process::exec_replace({}, {}); }, ErrorCode::kUsage);
}

TEST_CASE("wait_child reports exit codes and signals", "[process]") {
  auto ok = process::wait_child(spawn_sh("exit 0"));
  CHECK(ok.exited);
  CHECK(ok.success());
  CHECK(ok.describe() == "exit code 0");

  auto three = process::wait_child(spawn_sh("exit 3"));
  CHECK(three.exited);
  CHECK(three.code == 3);
  CHECK_FALSE(three.success());
  CHECK(three.describe() == "exit code 3");

  auto segv = process::wait_child(spawn_sh("kill -SEGV $$"));
  CHECK_FALSE(segv.exited);
  CHECK(segv.signal == SIGSEGV);
  CHECK_FALSE(segv.success());
  CHECK_THAT(segv.describe(), Catch::StartsWith("killed by signal 11 ("));

  int64_t pid = spawn_sh("exec sleep 30");
  CHECK(process::is_alive(pid));
  process::kill_hard(pid);
  auto killed = process::wait_child(pid);
  CHECK(killed.signal == SIGKILL);

  // As a shell reports them.
  CHECK(ok.as_exit_code() == 0);
  CHECK(three.as_exit_code() == 3);
  CHECK(segv.as_exit_code() == 128 + SIGSEGV);
  CHECK(killed.as_exit_code() == 128 + SIGKILL);
}

TEST_CASE("output_fd takes stdout and stderr, error_fd takes stderr apart", "[process]") {
  OutputPipe out, err;
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "echo to-out; echo to-err >&2"};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  o.output_fd = out.write_fd();
  SECTION("both streams into output_fd") {
    REQUIRE(process::wait_child(process::spawn(o)).success());
    CHECK(out.read_all() == "to-out\nto-err\n");
  }
  SECTION("stderr into error_fd") {
    o.error_fd = err.write_fd();
    REQUIRE(process::wait_child(process::spawn(o)).success());
    CHECK(out.read_all() == "to-out\n");
    CHECK(err.read_all() == "to-err\n");
  }
}

TEST_CASE("the child gets exactly the given environment and the inherited descriptors", "[process]") {
  OutputPipe out;
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c",
            "echo \"$GREETING|${HOME-unset}\" >&$OUT; [ -e /proc/self/fd/$SECRET ] && echo leaked >&$OUT; true"};
  int secret = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  o.env = {{"GREETING", "hello world"}, {"OUT", std::to_string(out.write_fd())}, {"SECRET", std::to_string(secret)}};
  o.inherit_fds = {out.write_fd()};
  int64_t pid = process::spawn(o);
  // Only the child's copy loses close-on-exec; the parent's descriptor keeps it.
  CHECK((fcntl(out.write_fd(), F_GETFD) & FD_CLOEXEC) != 0);
  std::string text = out.read_all();
  ::close(secret);
  CHECK(process::wait_child(pid).success());
  CHECK(text == "hello world|unset\n");  // no HOME: the parent's environment is not merged in; no leaked fd
}

TEST_CASE("set_listen_pid gives the child LISTEN_PID of its own pid, replacing the parent's value", "[process]") {
  OutputPipe out;
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "echo \"$LISTEN_PID $$\" >&$OUT"};
  o.env = {{"OUT", std::to_string(out.write_fd())}, {"LISTEN_PID", "1"}};
  o.inherit_fds = {out.write_fd()};
  o.set_listen_pid = true;
  int64_t pid = process::spawn(o);
  std::string text = out.read_all();
  CHECK(process::wait_child(pid).success());
  CHECK(text == std::to_string(pid) + " " + std::to_string(pid) + "\n");
}

TEST_CASE("wait_for_exit waits for a process that is not our child", "[process]") {
  TempDir dir;
  OutputPipe out;
  // The shell starts a grandchild, reports its pid, and exits: the grandchild is not ours.
  int64_t sh = spawn_sh("sleep 30 >/dev/null 2>&1 & echo $! >&$OUT", &out);
  std::string line = out.read_line();
  REQUIRE(process::wait_child(sh).success());
  int64_t grandchild = std::stoll(line);
  REQUIRE(grandchild > 0);
  CHECK(process::is_alive(grandchild));
  CHECK_FALSE(process::wait_for_exit(grandchild, std::chrono::milliseconds(50)));  // still running: times out
  process::kill_hard(grandchild);
  CHECK(process::wait_for_exit(grandchild, std::chrono::seconds(10)));
}

TEST_CASE("wait_for_exit returns at once for a process that is already gone", "[process]") {
  int64_t pid = spawn_sh("exit 0");
  REQUIRE(process::wait_child(pid).success());  // reaped: the pid no longer exists
  auto start = std::chrono::steady_clock::now();
  CHECK(process::wait_for_exit(pid, std::chrono::seconds(10)));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_FALSE(process::is_alive(pid));
  CHECK(process::current_pid() == ::getpid());
}

TEST_CASE("a detached child runs in its own session with stdin from /dev/null", "[process]") {
  OutputPipe out;
  int64_t pid = spawn_sh("cut -d' ' -f6 /proc/self/stat >&$OUT; readlink /proc/self/fd/0 >&$OUT", &out, true);
  std::string text = out.read_all();
  CHECK(process::wait_child(pid).success());
  CHECK(text == std::to_string(pid) + "\n/dev/null\n");  // session id == the child's pid: it leads a new session

  OutputPipe out2;
  int64_t attached = spawn_sh("cut -d' ' -f6 /proc/self/stat >&$OUT", &out2, false);
  std::string sid = out2.read_all();
  CHECK(process::wait_child(attached).success());
  CHECK(sid == std::to_string(::getsid(0)) + "\n");
}

TEST_CASE("current_environment reads the process environment", "[process]") {
  ::setenv("UPKEEP_PROCESS_TEST", "a=b", 1);
  auto env = process::current_environment();
  ::unsetenv("UPKEEP_PROCESS_TEST");
  CHECK(env["UPKEEP_PROCESS_TEST"] == "a=b");
}

TEST_CASE("run_captured: own process group, its working directory, output of both streams, the exit status",
          "[process]") {
  TempDir dir;
  process::SpawnOptions o;
  // Field 5 of /proc/<pid>/stat is the process group: a child leading its own has pgrp == pid.
  o.argv = {"/bin/sh", "-c",
            "echo out; echo err >&2; pwd; [ \"$(cut -d' ' -f5 /proc/$$/stat)\" = \"$$\" ] && echo leader; exit 4"};
  o.cwd = dir.path();
  o.env = process::current_environment();
  process::CapturedRun r = process::run_captured(o, std::chrono::seconds(30), 4096);
  CHECK_FALSE(r.timed_out);
  CHECK(r.status.exited);
  CHECK(r.status.code == 4);
  CHECK(r.output_tail == "out\nerr\n" + stdfs::canonical(dir.path()).string() + "\nleader\n");
  CHECK(r.output_bytes == r.output_tail.size());
}

TEST_CASE("spawn into a missing working directory says so, kill_group refuses what is not a group", "[process]") {
  process::SpawnOptions o;
  o.argv = {"/bin/true"};
  o.cwd = "/nonexistent/upkeep-test";
  std::string message = error_of([&] { process::spawn(o); }, ErrorCode::kNotFound);
  CHECK(message == "cannot start /bin/true in /nonexistent/upkeep-test: No such file or directory");
  // -1 and 0 would signal every process we may signal, or our own group.
  error_of([] { process::kill_group(1, true); }, ErrorCode::kUsage);
  error_of([] { process::kill_group(0, true); }, ErrorCode::kUsage);
}

TEST_CASE("exit_like ends a process as another one ended: an exit code, or death by the same signal", "[process]") {
  auto ended_like = [](const process::ExitStatus& s) {
    pid_t pid = ::fork();
    if (pid == 0) process::exit_like(s);
    return process::wait_child(pid);
  };
  auto code = ended_like({true, 7, 0});
  CHECK(code.exited);
  CHECK(code.code == 7);
  for (int sig : {SIGINT, SIGTERM, SIGSEGV}) {
    auto killed = ended_like({false, 0, sig});
    CHECK_FALSE(killed.exited);
    CHECK(killed.signal == sig);
  }
}

TEST_CASE("a spawned program gets an empty signal mask whatever its starter blocked", "[process]") {
  // mainapp blocks SIGTERM for sigwait; the launcher it starts, and the app
  // that one starts, must still end on SIGTERM.
  sigset_t term, before;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &term, &before) == 0);
  process::SpawnOptions o;
  o.argv = {"/usr/bin/grep", "SigBlk", "/proc/self/status"};  // not through sh: dash clears its mask
  o.env = process::current_environment();
  process::CapturedRun r = process::run_captured(o, std::chrono::seconds(30), 4096);
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  CHECK(r.status.exited);
  CHECK(r.output_tail == "SigBlk:\t0000000000000000\n");
}

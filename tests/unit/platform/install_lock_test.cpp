#include "upkeep/platform/install_lock.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/process.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::InstallLock;
using upkeep::test::TempDir;
namespace process = upkeep::process;
namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// A pipe for one-way messages between a forked child and the test.
struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  void close_read() {
    if (r >= 0) ::close(r);
    r = -1;
  }
  void close_write() {
    if (w >= 0) ::close(w);
    w = -1;
  }
  void send(const std::string& s) const {
    ssize_t n = ::write(w, s.data(), s.size());
    (void)n;
  }
  // Reads until every writer closed its end.
  std::string receive_all() {
    close_write();
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = ::read(r, buf, sizeof buf)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Reads exactly one byte (blocks until the other side sends it or closes).
  char receive_byte() const {
    char c = 0;
    return ::read(r, &c, 1) == 1 ? c : '\0';
  }
};

// Runs `body` in a forked child and returns its exit code (the child never returns into Catch).
template <class F>
pid_t fork_child(F&& body) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("a second process waiting for a held lock times out naming the holder pid", "[install_lock]") {
  TempDir dir;
  auto file = dir / ".lock";
  auto held = InstallLock::acquire(file, 1s);
  Pipe report;
  pid_t child = fork_child([&] {
    report.close_read();
    try {
      InstallLock::acquire(file, 150ms);
      report.send("acquired");
      return 1;
    } catch (const Error& e) {
      report.send(std::to_string(static_cast<int>(e.code())) + "|" + e.what());
      return 0;
    }
  });
  std::string got = report.receive_all();
  CHECK(wait_exit_code(child) == 0);
  CHECK_THAT(got, Catch::StartsWith(std::to_string(static_cast<int>(ErrorCode::kLockTimeout)) + "|"));
  CHECK_THAT(got, Catch::Contains("pid " + std::to_string(::getpid())) && Catch::Contains(file.string()) &&
                      Catch::Contains("150 ms"));
}

TEST_CASE("try_acquire returns nullopt while another holder has the lock, and succeeds after release",
          "[install_lock]") {
  TempDir dir;
  auto file = dir / ".lock";
  auto held = InstallLock::try_acquire(file);
  REQUIRE(held.has_value());
  // A second open file description conflicts even within one process, as a second process would.
  CHECK_FALSE(InstallLock::try_acquire(file).has_value());
  try {
    InstallLock::acquire(file, 20ms);
    FAIL("expected kLockTimeout");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kLockTimeout);
  }
  held->release();
  CHECK(InstallLock::try_acquire(file).has_value());
}

TEST_CASE("a lock is released on destruction and by move assignment", "[install_lock]") {
  TempDir dir;
  auto a = dir / "a.lock", b = dir / "b.lock";
  {
    auto lock = InstallLock::acquire(a, 1s);
    CHECK_FALSE(InstallLock::try_acquire(a).has_value());
  }
  auto lock = InstallLock::acquire(a, 1s);  // destruction released it
  InstallLock moved = std::move(lock);
  CHECK_FALSE(InstallLock::try_acquire(a).has_value());  // the moved-to object holds it
  moved = InstallLock::acquire(b, 1s);                   // assignment releases a, takes b
  CHECK(InstallLock::try_acquire(a).has_value());
  CHECK_FALSE(InstallLock::try_acquire(b).has_value());
}

TEST_CASE("a lock held by a process that was SIGKILLed is free again", "[install_lock]") {
  TempDir dir;
  auto file = dir / ".lock";
  Pipe ready, hold;
  pid_t child = fork_child([&] {
    auto lock = InstallLock::acquire(file, 5s);
    ready.send("L");
    hold.receive_byte();  // blocks until killed
    return 0;
  });
  REQUIRE(ready.receive_byte() == 'L');
  CHECK_FALSE(InstallLock::try_acquire(file).has_value());
  ::kill(child, SIGKILL);
  CHECK(wait_exit_code(child) == 128 + SIGKILL);
  auto lock = InstallLock::acquire(file, 100ms);  // the kernel dropped the dead holder's lock
  SUCCEED();
}

TEST_CASE("a program started by the holder does not inherit the lock", "[install_lock]") {
  TempDir dir;
  auto file = dir / ".lock";
  auto held = InstallLock::acquire(file, 1s);
  Pipe started;
  process::SpawnOptions o;
  // Reports once it runs (exec is complete, every close-on-exec descriptor is closed), then stays alive.
  o.argv = {"/bin/sh", "-c", "echo up >&" + std::to_string(started.w) + "; exec sleep 30"};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  o.inherit_fds = {started.w};
  int64_t pid = process::spawn(o);
  started.close_write();
  REQUIRE(started.receive_byte() == 'u');
  held.release();
  // The child still runs; had it inherited the descriptor, the lock would still be held.
  CHECK(process::is_alive(pid));
  CHECK(InstallLock::try_acquire(file).has_value());
  process::kill_hard(pid);
  process::wait_child(pid);
}

TEST_CASE("the lock file records the holder's pid", "[install_lock]") {
  TempDir dir;
  auto file = dir / ".lock";
  auto held = InstallLock::acquire(file, 1s);
  CHECK(upkeep::test::read_text(file) == std::to_string(::getpid()) + "\n");
}

TEST_CASE("a lock file in a missing folder is an error naming it", "[install_lock]") {
  TempDir dir;
  try {
    InstallLock::acquire(dir / "missing/.lock", 1s);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains((dir / "missing/.lock").string()));
  }
}

// DetachedRun: waited for up to a deadline, then on its own: never our
// child, its output shown until the deadline and logged throughout, none
// of our descriptors inherited.
#include "upkeep/platform/detached_run.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::DetachedRun;
using namespace upkeep::test;
namespace process = upkeep::process;
using namespace std::chrono_literals;

namespace {

process::SpawnOptions shell(const std::string& script) {
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {{"PATH", "/usr/bin:/bin"}};
  return o;
}

// One of this process's descriptors (1 or 2) goes to `fd` while it lives.
class Redirected {
 public:
  Redirected(int which, int fd) : which_(which) {
    std::fflush(nullptr);
    saved_ = ::dup(which);
    ::dup2(fd, which);
  }
  ~Redirected() {
    std::fflush(nullptr);
    ::dup2(saved_, which_);
    ::close(saved_);
  }

 private:
  int which_;
  int saved_ = -1;
};

int open_file(const stdfs::path& file) { return ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }

// A real pseudo-terminal: what a person starting the app from a terminal has.
struct Pty {
  Pty() {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(master >= 0);
    REQUIRE(::grantpt(master) == 0);
    REQUIRE(::unlockpt(master) == 0);
    slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    REQUIRE(slave >= 0);
  }
  ~Pty() {
    ::close(slave);
    ::close(master);
  }
  // What was written to the terminal so far, without its "\r".
  std::string shown() const {
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    std::string text;
    char buf[256];
    ssize_t n;
    while ((n = ::read(master, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    std::erase(text, '\r');
    return text;
  }
  int master = -1, slave = -1;
};

std::string parent_of(int64_t pid) {
  std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("\nPPid:\t");
  return status.substr(at + 7, status.find('\n', at + 1) - at - 7);
}

}  // namespace

TEST_CASE("a program that ends within the deadline: its status, its output shown on a terminal's stderr and logged",
          "[detached_run]") {
  TempDir dir;
  Pty terminal;
  std::optional<process::ExitStatus> status;
  {
    int out_fd = open_file(dir / "stdout");
    Redirected out(1, out_fd), err(2, terminal.slave);
    ::close(out_fd);
    DetachedRun run(shell("echo checking; echo trouble >&2; exit 7"), dir / "run.log");
    status = run.wait(30s);
  }
  REQUIRE(status.has_value());
  CHECK(status->code == 7);
  CHECK(read_text(dir / "stdout").empty());  // the application's stdout stays its own
  CHECK(terminal.shown() == "checking\ntrouble\n");
  CHECK(read_text(dir / "run.log") == "checking\ntrouble\n");
}

TEST_CASE("a program's output goes to stderr, whatever that is, never to stdout", "[detached_run]") {
  TempDir dir;
  {
    int out_fd = open_file(dir / "stdout"), err_fd = open_file(dir / "stderr");
    Redirected out(1, out_fd), err(2, err_fd);
    ::close(out_fd);
    ::close(err_fd);
    DetachedRun run(shell("echo checking; echo trouble >&2"), dir / "run.log");
    REQUIRE(run.wait(30s).has_value());
  }
  CHECK(read_text(dir / "stdout").empty());
  CHECK(read_text(dir / "stderr") == "checking\ntrouble\n");
  CHECK(read_text(dir / "run.log") == "checking\ntrouble\n");
}

TEST_CASE(
    "past the deadline the program goes on alone: not our child, output only in the log, none of our "
    "descriptors",
    "[detached_run]") {
  TempDir dir;
  const stdfs::path go = dir / "go", log = dir / "run.log";
  REQUIRE(mkfifo(go.c_str(), 0600) == 0);
  // The log is a pipe the test reads to its end: the end comes when the relay has copied everything.
  REQUIRE(mkfifo(log.c_str(), 0600) == 0);
  int log_fd = ::open(log.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(log_fd >= 0);
  int ours = ::open("/dev/null", O_RDONLY);  // not close-on-exec: a program we exec would inherit it
  const std::string script = "echo before; read x < '" + go.string() + "'; echo after; " + "[ -e /proc/self/fd/" +
                             std::to_string(ours) + " ] && echo inherited || echo clean";
  int64_t pid = -1;
  Pty terminal;
  {
    Redirected err(2, terminal.slave);
    DetachedRun run(shell(script), log);
    pid = run.pid();
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(run.wait(1s).has_value());
    CHECK(std::chrono::steady_clock::now() - start < 10s);
  }
  ::close(ours);
  CHECK(process::is_alive(pid));
  CHECK(parent_of(pid) != std::to_string(::getpid()));  // its relay's, adopted by init or a subreaper
  write_text(go, "x\n");
  ::fcntl(log_fd, F_SETFL, 0);
  std::string logged;
  char buf[256];
  ssize_t n;
  while ((n = ::read(log_fd, buf, sizeof buf)) > 0) logged.append(buf, static_cast<size_t>(n));
  ::close(log_fd);
  CHECK(logged == "before\nafter\nclean\n");
  CHECK(terminal.shown() == "before\n");  // nothing shown after the deadline
}

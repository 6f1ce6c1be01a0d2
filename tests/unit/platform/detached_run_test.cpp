// DetachedRun: waited for up to a deadline, then on its own: never our
// child, its output shown until the deadline and logged throughout, none
// of our descriptors inherited.
#include "upkeep/platform/detached_run.h"

#include <fcntl.h>
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

// This process's stdout goes to a file while it lives.
class CapturedStdout {
 public:
  explicit CapturedStdout(const stdfs::path& file) {
    std::fflush(stdout);
    saved_ = ::dup(1);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::close(fd);
  }
  ~CapturedStdout() {
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
  }

 private:
  int saved_ = -1;
};

std::string parent_of(int64_t pid) {
  std::string status = read_text("/proc/" + std::to_string(pid) + "/status");
  auto at = status.find("\nPPid:\t");
  return status.substr(at + 7, status.find('\n', at + 1) - at - 7);
}

}  // namespace

TEST_CASE("a program that ends within the deadline: its status, its output shown and logged", "[detached_run]") {
  TempDir dir;
  std::optional<process::ExitStatus> status;
  {
    CapturedStdout out(dir / "stdout");
    DetachedRun run(shell("echo checking; exit 7"), dir / "run.log");
    status = run.wait(30s);
  }
  REQUIRE(status.has_value());
  CHECK(status->code == 7);
  CHECK(read_text(dir / "stdout") == "checking\n");
  CHECK(read_text(dir / "run.log") == "checking\n");
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
  {
    CapturedStdout out(dir / "stdout");
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
  CHECK(read_text(dir / "stdout") == "before\n");  // nothing shown after the deadline
}

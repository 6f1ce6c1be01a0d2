#include "upkeep/platform/health_channel.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "test_support.h"
#include "upkeep/base/launch_env.h"

using upkeep::HealthChannel;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace process = upkeep::process;
using namespace std::chrono_literals;

namespace {

// Starts `script` as a trial child would be started by the launcher.
// With `inherit` false the child never gets the channel (as if it closed it at once).
int64_t start_on_trial(HealthChannel& channel, const std::string& script, bool inherit = true) {
  process::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {{"PATH", "/usr/bin:/bin"}, {upkeep::env::kHealthFd, std::to_string(channel.child_fd_number())}};
  if (inherit) o.move_fds = {{channel.child_fd(), channel.child_fd_number()}};
  int64_t pid = process::spawn(o);
  channel.close_child_end();
  return pid;
}

}  // namespace

TEST_CASE("a child that writes to its health fd is confirmed and keeps running", "[health]") {
  HealthChannel channel;
  // Confirms, then keeps running until the test ends it.
  int64_t pid = start_on_trial(channel, "printf 1 >&$UPKEEP_HEALTH_FD; exec sleep 30");
  auto r = channel.wait(pid, 30s);
  CHECK(r.outcome == HealthChannel::Outcome::kConfirmed);
  CHECK(process::is_alive(pid));  // confirmation does not end the program
  process::kill_hard(pid);
  CHECK(process::wait_child(pid).signal == SIGKILL);
}

TEST_CASE("the child gets the channel below fd 10, so dash can write to it, however many descriptors are open",
          "[health]") {
  std::vector<int> busy;  // the launcher's own descriptors (state database, locks, log): close-on-exec
  for (int i = 0; i < 12; ++i) busy.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  HealthChannel channel;
  REQUIRE(channel.child_fd() >= 10);
  CHECK(channel.child_fd_number() < 10);
  // /bin/sh is dash on Debian: `>&N` takes one digit.
  int64_t pid = start_on_trial(channel, "printf 1 >&\"$UPKEEP_HEALTH_FD\" && exec sleep 30");
  CHECK(channel.wait(pid, 30s).outcome == HealthChannel::Outcome::kConfirmed);
  process::kill_hard(pid);
  process::wait_child(pid);
  for (int fd : busy) ::close(fd);
}

TEST_CASE("a child that confirms and exits at once still counts as confirmed", "[health]") {
  HealthChannel channel;
  int64_t pid = start_on_trial(channel, "printf 1 >&$UPKEEP_HEALTH_FD; exit 0");
  auto r = channel.wait(pid, 30s);
  CHECK(r.outcome == HealthChannel::Outcome::kConfirmed);
  CHECK(process::wait_child(pid).success());
}

TEST_CASE("a child that exits without confirming reports its exit code", "[health]") {
  HealthChannel channel;
  int64_t pid = start_on_trial(channel, "exit 3");
  auto r = channel.wait(pid, 30s);
  CHECK(r.outcome == HealthChannel::Outcome::kExited);
  CHECK(r.status.exited);
  CHECK(r.status.code == 3);
  CHECK_FALSE(process::is_alive(pid));  // reaped by wait()
}

TEST_CASE("a child that crashes is reported with its signal", "[health]") {
  HealthChannel channel;
  int64_t pid = start_on_trial(channel, "kill -SEGV $$");
  auto r = channel.wait(pid, 30s);
  CHECK(r.outcome == HealthChannel::Outcome::kExited);
  CHECK_FALSE(r.status.exited);
  CHECK(r.status.signal == SIGSEGV);
}

TEST_CASE("a child's exit is seen even while a grandchild holds the channel open", "[health]") {
  TempDir dir;
  HealthChannel channel;
  auto pid_file = dir / "grandchild.pid";
  int64_t pid = start_on_trial(channel, "sleep 30 & echo $! > '" + pid_file.string() + "'; exit 4");
  auto start = std::chrono::steady_clock::now();
  auto r = channel.wait(pid, 20s);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(r.outcome == HealthChannel::Outcome::kExited);
  CHECK(r.status.code == 4);
  process::kill_hard(std::stoll(read_text(pid_file)));
}

TEST_CASE("a child that never confirms is left running when the time runs out, and a second wait sees its end",
          "[health]") {
  HealthChannel channel;
  TempDir dir;
  auto go = dir / "go";
  REQUIRE(mkfifo(go.c_str(), 0600) == 0);
  // Runs until the test writes to the fifo, then confirms late and exits 5.
  int64_t pid = start_on_trial(channel, "read x < '" + go.string() + "'; exit 5", false);
  auto start = std::chrono::steady_clock::now();
  auto r = channel.wait(pid, 300ms);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.outcome == HealthChannel::Outcome::kTimedOut);
  CHECK(took >= 250ms);  // poll(2) works in whole milliseconds
  CHECK(took < 10s);
  CHECK(process::is_alive(pid));  // never ended by the channel
  write_text(go, "x\n");
  r = channel.wait(pid, std::nullopt);
  CHECK(r.outcome == HealthChannel::Outcome::kExited);
  CHECK(r.status.code == 5);
}

TEST_CASE("a child without the channel open is not confirmed while it runs", "[health]") {
  HealthChannel channel;
  // The pipe reaches EOF at once; the launcher must keep waiting for the process, not call it confirmed or exited.
  int64_t pid = start_on_trial(channel, "exec sleep 30", false);
  auto r = channel.wait(pid, 300ms);
  CHECK(r.outcome == HealthChannel::Outcome::kTimedOut);
  process::kill_hard(pid);
  CHECK(process::wait_child(pid).signal == SIGKILL);
}

TEST_CASE("report_healthy_to_launcher writes one byte to the fd named by UPKEEP_HEALTH_FD, once", "[health]") {
  // In a forked child: the function acts once per process.
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    setenv(upkeep::env::kHealthFd, std::to_string(fds[1]).c_str(), 1);
    upkeep::report_healthy_to_launcher();
    upkeep::report_healthy_to_launcher();
    bool fd_closed = fcntl(fds[1], F_GETFD) < 0;
    _exit(getenv(upkeep::env::kHealthFd) == nullptr && fd_closed ? 0 : 1);
  }
  close(fds[1]);
  std::string got;
  char buf[16];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(got == "1");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // the variable is gone and the descriptor closed
}

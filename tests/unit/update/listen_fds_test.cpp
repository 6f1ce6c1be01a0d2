#include "upkeep/update/listen_fds.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <string>

using namespace upkeep;

namespace {

// Runs `body` in a forked child with a socket at 3 and 4 (where sd_listen_fds
// looks) and the given LISTEN_PID ("self": the child's pid); the child's exit
// code is what body returns (0: all held). Fork keeps the test process's own
// descriptors 3 and 4 and its environment untouched.
int in_child(const std::string& listen_pid, const char* names, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    for (int fd : {3, 4}) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (s < 0 || dup2(s, fd) < 0) _exit(90);
      if (s != fd) close(s);
    }
    setenv("LISTEN_PID", listen_pid == "self" ? std::to_string(getpid()).c_str() : listen_pid.c_str(), 1);
    setenv("LISTEN_FDS", "2", 1);
    if (names) setenv("LISTEN_FDNAMES", names, 1);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

bool cloexec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

}  // namespace

TEST_CASE("inherited_listen_fds returns the sockets at 3.. with their names, close-on-exec, and unsets the variables",
          "[listen_fds]") {
  int code = in_child("self", "http:admin", [] {
    auto fds = inherited_listen_fds();
    if (fds.size() != 2) return 1;
    if (fds[0].fd != 3 || fds[0].name != "http" || fds[1].fd != 4 || fds[1].name != "admin") return 2;
    if (!cloexec(3) || !cloexec(4)) return 3;
    if (std::getenv("LISTEN_PID") || std::getenv("LISTEN_FDS") || std::getenv("LISTEN_FDNAMES")) return 4;
    return inherited_listen_fds().empty() ? 0 : 5;  // taken once
  });
  CHECK(code == 0);
}

TEST_CASE("inherited_listen_fds names unnamed sockets unknown", "[listen_fds]") {
  CHECK(in_child("self", nullptr, [] {
          auto fds = inherited_listen_fds();
          return fds.size() == 2 && fds[0].name == "unknown" && fds[1].name == "unknown" ? 0 : 1;
        }) == 0);
}

TEST_CASE("inherited_listen_fds leaves sockets meant for another process alone", "[listen_fds]") {
  // LISTEN_PID of another process (the launcher's, when it did not set ours): not ours to take.
  CHECK(in_child(std::to_string(getpid()), "http:admin", [] {
          if (!inherited_listen_fds().empty()) return 1;
          if (cloexec(3) || cloexec(4)) return 2;
          return std::getenv("LISTEN_FDS") ? 0 : 3;
        }) == 0);
}

TEST_CASE("report_ready_to_launcher writes one byte to UPKEEP_READY_FD and closes it", "[listen_fds]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    setenv("UPKEEP_READY_FD", std::to_string(fds[1]).c_str(), 1);
    report_ready_to_launcher();
    bool closed = fcntl(fds[1], F_GETFD) < 0;
    report_ready_to_launcher();  // once only: the variable is gone
    _exit(closed && !std::getenv("UPKEEP_READY_FD") ? 0 : 1);
  }
  close(fds[1]);
  std::string got;
  char c;
  while (read(fds[0], &c, 1) == 1) got += c;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(got == "1");
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

#include "upkeep/update/restart_to_update.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/process.h"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE(
    "restart_to_update starts the launcher with --upkeep-after-pid, the app's arguments and the sockets to hand over",
    "[restart]") {
  TempDir dir;
  // Stands in for the launcher: records what it was given.
  stdfs::path launcher = dir / "launcher";
  stdfs::path report = dir / "report";
  write_text(launcher,
             "#!/bin/sh\n"
             "{ echo \"args:$*\"; echo \"fds:$LISTEN_FDS names:$LISTEN_FDNAMES\";\n"
             "  [ -e /proc/self/fd/3 ] && echo inherited || echo missing;\n"
             "  [ \"$(stat -L -c %i /proc/self/fd/3)\" = \"$SOCKET_INODE\" ] && echo same || echo other;\n"
             "  echo \"pid:${LISTEN_PID-unset}\"; } > " +
                 report.string() + "\n");
  stdfs::permissions(launcher, stdfs::perms::owner_all);

  int sock = listen_on_loopback();
  // Announced at 3 (sd_listen_fds), whatever number the app gave it; a stale LISTEN_PID is not passed on.
  struct stat st {};
  REQUIRE(fstat(sock, &st) == 0);
  setenv("SOCKET_INODE", std::to_string(st.st_ino).c_str(), 1);
  setenv("LISTEN_PID", "1", 1);

  int64_t pid = restart_to_update({.launcher = launcher.string(),
                                   .app_args = {"--headless", "x y"},
                                   .listen_fds = {sock},
                                   .listen_names = {"http"}});
  auto status = process::wait_child(pid);
  unsetenv("SOCKET_INODE");
  unsetenv("LISTEN_PID");
  close(sock);
  CHECK(status.success());
  std::string r = read_text(report);
  CHECK(r == "args:--upkeep-after-pid " + std::to_string(getpid()) +
                 " --headless x y\nfds:1 names:http\ninherited\nsame\npid:unset\n");
}

TEST_CASE("restart_to_update with handover asks the launcher for a hand-over", "[restart]") {
  TempDir dir;
  stdfs::path launcher = dir / "launcher";
  stdfs::path report = dir / "report";
  write_text(launcher, "#!/bin/sh\necho \"$*\" > " + report.string() + "\n");
  stdfs::permissions(launcher, stdfs::perms::owner_all);
  auto status = process::wait_child(restart_to_update({.launcher = launcher.string(), .handover = true}));
  CHECK(status.success());
  CHECK(read_text(report) == "--upkeep-after-pid " + std::to_string(getpid()) + " --upkeep-handover\n");
}

TEST_CASE("restart_to_update without a launcher path says why", "[restart]") {
  try {
    restart_to_update({});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(std::string(e.what()).find("launcher") != std::string::npos);
  }
}

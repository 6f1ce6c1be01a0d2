#include "upkeep/platform/running_lock.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "test_support.h"
#include "upkeep/platform/process.h"

using namespace upkeep;

TEST_CASE("RunningLock: no .running file, nothing held", "[running_lock]") {
  test::TempDir dir;
  CHECK_FALSE(RunningLock::hold_shared_across_exec(dir.path() / ".running"));
}

TEST_CASE("RunningLock: a running program keeps the exclusive side out until it ends", "[running_lock]") {
  test::TempDir dir;
  const auto file = dir.path() / ".running";
  test::write_text(file, "");
  CHECK(RunningLock::try_exclusive(file));  // nobody runs the app
  // A real child takes the shared lock as the launcher does, then execs a
  // program that waits for a line: the lock must survive the exec.
  test::TempDir fifo_dir;
  const auto fifo = fifo_dir.path() / "go";
  const auto ready = fifo_dir.path() / "ready";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(::mkfifo(ready.c_str(), 0600) == 0);
  const std::string script = "echo up > " + ready.string() + "; read x < " + fifo.string();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (!RunningLock::hold_shared_across_exec(file)) ::_exit(3);
    ::execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(4);
  }
  CHECK(!test::read_text(ready).empty());  // the child holds its shared lock now
  CHECK_FALSE(RunningLock::try_exclusive(file));
  test::write_text(fifo, "x\n");
  CHECK(process::wait_child(pid).success());  // it ended: the lock went with it
  CHECK(RunningLock::try_exclusive(file));
}

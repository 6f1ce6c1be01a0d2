// SignalForwarder: SIGINT, SIGTERM and SIGHUP sent to this process go to
// the child instead of ending this process; one that arrives before the
// child is known is sent on once it is.
#include "upkeep/platform/signal_forwarder.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "upkeep/platform/process.h"

using upkeep::SignalForwarder;
namespace process = upkeep::process;

namespace {

int64_t start_sleeper() {
  process::SpawnOptions o;
  o.argv = {"/bin/sleep", "30"};
  return process::spawn(o);
}

}  // namespace

TEST_CASE("a SIGTERM sent to this process ends the child, not this process", "[signal_forwarder]") {
  int64_t pid = start_sleeper();
  {
    SignalForwarder forward;
    forward.set_child(pid);
    ::kill(::getpid(), SIGTERM);  // delivered before kill() returns: to ourselves, unblocked
    CHECK(forward.received() == SIGTERM);
    auto status = process::wait_child(pid);
    CHECK_FALSE(status.exited);
    CHECK(status.signal == SIGTERM);
  }
}

TEST_CASE("a signal that arrives before the child is known is sent on once it is", "[signal_forwarder]") {
  SignalForwarder forward;
  ::kill(::getpid(), SIGHUP);
  CHECK(forward.received() == SIGHUP);
  int64_t pid = start_sleeper();
  forward.set_child(pid);
  CHECK(process::wait_child(pid).signal == SIGHUP);
}

TEST_CASE("the previous handlers come back when the forwarder ends", "[signal_forwarder]") {
  struct sigaction before {};
  sigaction(SIGINT, nullptr, &before);
  { SignalForwarder forward; }
  struct sigaction after {};
  sigaction(SIGINT, nullptr, &after);
  CHECK(after.sa_handler == before.sa_handler);
}

// POSIX implementation of termination.h: SIGINT and SIGTERM through sigwait.
#include <signal.h>

#include <cstring>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/platform/termination.h"

namespace upkeep {
namespace {

sigset_t termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_termination_requests() {
  sigset_t set = termination_signals();
  if (int err = pthread_sigmask(SIG_BLOCK, &set, nullptr))
    fail(ErrorCode::kFailure, std::string("cannot block SIGINT/SIGTERM: ") + std::strerror(err));
}

const char* wait_for_termination_request() {
  sigset_t set = termination_signals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace upkeep

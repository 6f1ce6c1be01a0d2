#include "fault_injection.h"

#ifdef UPKEEP_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "launch_env.h"

namespace upkeep {

void crash_point(const char* step) {
  const char* at = std::getenv(env::kCrashAt);
  if (at && std::strcmp(at, step) == 0) ::kill(::getpid(), SIGKILL);
}

}  // namespace upkeep
#endif

#include "upkeep/platform/fault_injection.h"

#ifdef UPKEEP_FAULT_INJECTION
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/base/launch_env.h"

namespace upkeep {

void crash_point(std::string_view step) {
  // A step missing from the list would be a crash point no test knows of.
  if (std::find(std::begin(kCrashPoints), std::end(kCrashPoints), step) == std::end(kCrashPoints))
    fail(ErrorCode::kFailure, "crash_point: '" + std::string(step) + "' is not a named step");
  if (const char* trace = std::getenv(env::kTraceSteps); trace && *trace) {
    int fd = ::open(trace, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      std::string line = std::string(step) + "\n";
      // One write with O_APPEND: lines from several processes never interleave.
      [[maybe_unused]] ssize_t n = ::write(fd, line.data(), line.size());
      ::close(fd);
    }
  }
  const char* at = std::getenv(env::kCrashAt);
  if (at && step == at) ::kill(::getpid(), SIGKILL);
}

}  // namespace upkeep
#endif

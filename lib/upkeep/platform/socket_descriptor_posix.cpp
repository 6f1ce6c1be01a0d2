#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/platform/socket_descriptor.h"

namespace upkeep {

int duplicate_socket(int fd) {
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
    fail(ErrorCode::kBadInput, "descriptor " + std::to_string(fd) + " is not an open socket");
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0)
    fail(ErrorCode::kFailure, "cannot duplicate socket " + std::to_string(fd) + ": " + std::strerror(errno));
  return copy;
}

void ignore_broken_pipe() { ::signal(SIGPIPE, SIG_IGN); }

}  // namespace upkeep

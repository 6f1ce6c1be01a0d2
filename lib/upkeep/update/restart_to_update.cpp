#include "upkeep/update/restart_to_update.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/platform/process.h"

namespace upkeep {

int64_t restart_to_update(const RestartRequest& request) {
  if (request.launcher.empty())
    fail(ErrorCode::kNotFound, "cannot restart: the launcher's path is unknown (not started by the launcher?)");
  process::SpawnOptions spawn;
  // The launcher's options end at the first argument without its prefix: the app's follow unchanged.
  spawn.argv = {request.launcher, "--upkeep-after-pid", std::to_string(process::current_pid())};
  if (request.handover) spawn.argv.push_back("--upkeep-handover");
  spawn.argv.insert(spawn.argv.end(), request.app_args.begin(), request.app_args.end());
  spawn.env = process::current_environment();
  spawn.detach = true;
  if (!request.listen_fds.empty()) {
    spawn.env.erase("LISTEN_PID");  // the launcher sets it for the program it starts
    spawn.env["LISTEN_FDS"] = std::to_string(request.listen_fds.size());
    std::string names;
    for (size_t i = 0; i < request.listen_names.size(); ++i) names += (i ? ":" : "") + request.listen_names[i];
    if (!names.empty()) spawn.env["LISTEN_FDNAMES"] = names;
    // sd_listen_fds expects the sockets at 3, 4, ...: first copies above the
    // range, so moving one never overwrites another still to be moved.
    for (size_t i = 0; i < request.listen_fds.size(); ++i) {
      int copy = fcntl(request.listen_fds[i], F_DUPFD_CLOEXEC, 64);
      if (copy < 0) {
        for (auto [from, to] : spawn.move_fds) close(from);
        fail(ErrorCode::kFailure,
             "cannot hand over socket " + std::to_string(request.listen_fds[i]) + ": " + std::strerror(errno));
      }
      spawn.move_fds.emplace_back(copy, 3 + static_cast<int>(i));
    }
  }
  int64_t pid = -1;
  try {
    pid = process::spawn(spawn);
  } catch (...) {
    for (auto [from, to] : spawn.move_fds) close(from);
    throw;
  }
  for (auto [from, to] : spawn.move_fds) close(from);
  return pid;
}

}  // namespace upkeep

#include "upkeep/update/restart_to_update.h"

#include "upkeep/base/error.h"
#include "upkeep/platform/process.h"

namespace upkeep {

int64_t restart_to_update(const RestartRequest& request) {
  if (request.launcher.empty())
    fail(ErrorCode::kNotFound, "cannot restart: the launcher's path is unknown (not started by the launcher?)");
  process::SpawnOptions spawn;
  // The launcher's options end at the first argument without its prefix: the app's follow unchanged.
  spawn.argv = {request.launcher, "--upkeep-after-pid", std::to_string(process::current_pid())};
  spawn.argv.insert(spawn.argv.end(), request.app_args.begin(), request.app_args.end());
  spawn.env = process::current_environment();
  spawn.detach = true;
  if (!request.listen_fds.empty()) {
    // sd_listen_fds expects the sockets at 3, 4, ...; the launcher moves them there (later issue).
    spawn.env["LISTEN_FDS"] = std::to_string(request.listen_fds.size());
    std::string names;
    for (size_t i = 0; i < request.listen_names.size(); ++i) names += (i ? ":" : "") + request.listen_names[i];
    if (!names.empty()) spawn.env["LISTEN_FDNAMES"] = names;
    spawn.inherit_fds = request.listen_fds;
  }
  return process::spawn(spawn);
}

}  // namespace upkeep

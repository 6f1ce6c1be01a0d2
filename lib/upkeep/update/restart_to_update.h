// Restart to update: the main program hands over to the launcher.
//
// restart_to_update() starts the launcher detached with
// `--upkeep-after-pid <our pid>` and the same application arguments; the caller
// then exits (with `handover`: once SIGTERM arrives). The launcher waits for our exit, applies the staged version
// and starts it.
//
// Socket hand-over: descriptors in `listen_fds` are passed to the launcher
// at 3, 4, ... (as sd_listen_fds expects) and announced with LISTEN_FDS /
// LISTEN_FDNAMES; the launcher passes them on to the version it starts and
// sets LISTEN_PID to that program's pid (inherited_listen_fds() reads them).
// Thread-safe; throws Error when the launcher cannot be started.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace upkeep {

struct RestartRequest {
  std::string launcher;                   // path of the launcher (UPKEEP_LAUNCHER)
  std::vector<std::string> app_args;      // passed to the new version
  std::vector<int> listen_fds;            // sockets to hand over (may be empty)
  std::vector<std::string> listen_names;  // one name per socket, optional
  // --upkeep-handover: the launcher does not wait for our exit; it starts the
  // new version on `listen_fds` and sends us SIGTERM once that one is ready.
  // We keep serving until then, then stop accepting, finish and exit.
  bool handover = false;
};

// Returns the launcher's pid.
int64_t restart_to_update(const RestartRequest& request);

}  // namespace upkeep

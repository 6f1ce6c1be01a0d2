// Listening sockets a program inherited from the launcher (socket hand-over).
//
// inherited_listen_fds() follows sd_listen_fds(3): when LISTEN_PID equals
// this process's pid, LISTEN_FDS=N names the descriptors 3 .. 3+N-1 and
// LISTEN_FDNAMES (colon-separated, optional) their names. It marks them
// close-on-exec and unsets the three variables, so programs this one starts
// neither inherit nor claim them. Without the variables, or when LISTEN_PID
// names another process, it returns nothing and changes nothing.
// Call it once, early, before starting threads (it changes the environment).
#pragma once

#include <string>
#include <vector>

namespace upkeep {

struct ListenFd {
  int fd = -1;
  std::string name;  // from LISTEN_FDNAMES; "unknown" when not named (as systemd says)
};

std::vector<ListenFd> inherited_listen_fds();

// In a hand-over (launcher --upkeep-handover): tells the launcher this
// process serves now, so it may stop the old one. Writes one byte to
// $UPKEEP_READY_FD (and closes it, unsetting the variable); nothing without
// it. A version on trial confirms its health instead (confirm_healthy_start),
// which counts as ready too. Call it once, like inherited_listen_fds().
void report_ready_to_launcher();

}  // namespace upkeep

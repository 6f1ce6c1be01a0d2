#include "handover.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "upkeep/base/launch_env.h"
#include "upkeep/platform/health_channel.h"
#include "upkeep/platform/signal_forwarder.h"

namespace upkeep {

void Handover::release_old() {
  if (released_) return;
  released_ = true;
  spdlog::info("hand-over: the new program is ready; asking process {} to finish (SIGTERM)", old_pid_);
  ::kill(static_cast<pid_t>(old_pid_), SIGTERM);  // gone already: nothing to ask
}

process::ExitStatus Handover::start(const AppStarter& starter, const std::string& version,
                                    const process::Environment& extra) {
  HealthChannel ready;  // the same one-byte pipe as a trial's health channel
  process::Environment env = extra;
  env[env::kReadyFd] = std::to_string(ready.child_fd_number());
  SignalForwarder forward;
  int64_t pid = starter.spawn(version, starter.spec(version), env, {{ready.child_fd(), ready.child_fd_number()}});
  forward.set_child(pid);
  ready.close_child_end();
  auto r = ready.wait(pid, ready_timeout_);
  if (r.outcome == HealthChannel::Outcome::kTimedOut) return stop_unready(pid, version);
  if (r.outcome == HealthChannel::Outcome::kExited) {
    spdlog::warn("hand-over: version {} ended before it was ready ({}); process {} goes on", version,
                 r.status.describe(), old_pid_);
    return r.status;
  }
  release_old();
  return process::wait_child(pid);
}

process::ExitStatus Handover::stop_unready(int64_t pid, const std::string& version) {
  spdlog::warn(
      "hand-over: version {} was not ready within {} s (handover_ready_timeout_seconds); stopping it, "
      "process {} goes on serving",
      version, ready_timeout_.count(), old_pid_);
  ::kill(static_cast<pid_t>(pid), SIGTERM);
  if (!process::wait_for_exit(pid, kStopGrace)) {
    spdlog::warn("hand-over: version {} (process {}) did not end within {} s of SIGTERM; killing it", version, pid,
                 kStopGrace.count());
    process::kill_hard(pid);
  }
  return process::wait_child(pid);
}

}  // namespace upkeep

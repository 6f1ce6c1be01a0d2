// POSIX implementation of signal_forwarder.h: sigaction handlers that kill(2) the child.
#include <signal.h>

#include <atomic>
#include <cerrno>

#include "upkeep/platform/signal_forwarder.h"

namespace upkeep {
namespace {

constexpr int kForwarded[] = {SIGINT, SIGTERM, SIGHUP};

// Read and written by the handler: lock-free atomics are async-signal-safe.
std::atomic<pid_t> g_child{0};
std::atomic<int> g_received{0};
std::atomic<int> g_pending{0};  // arrived before the child was known
struct sigaction g_previous[sizeof kForwarded / sizeof kForwarded[0]];
sigset_t g_previous_mask;

void forward(int sig, siginfo_t* info, void*) {
  int saved_errno = errno;
  g_received = sig;
  // SI_KERNEL: the terminal signalled the whole foreground group, the child included.
  bool from_terminal = info && info->si_code == SI_KERNEL;
  if (!from_terminal) {
    pid_t child = g_child;
    if (child > 0) {
      ::kill(child, sig);
    } else {
      g_pending = sig;
    }
  }
  errno = saved_errno;
}

}  // namespace

SignalForwarder::SignalForwarder() {
  g_child = 0;
  g_received = 0;
  g_pending = 0;
  struct sigaction sa {};
  sa.sa_sigaction = forward;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i) sigaction(kForwarded[i], &sa, &g_previous[i]);
  // A starter that blocked them (mainapp blocks SIGTERM for sigwait) must not keep them from us.
  sigset_t forwarded;
  sigemptyset(&forwarded);
  for (int sig : kForwarded) sigaddset(&forwarded, sig);
  sigprocmask(SIG_UNBLOCK, &forwarded, &g_previous_mask);
}

SignalForwarder::~SignalForwarder() {
  for (size_t i = 0; i < sizeof kForwarded / sizeof kForwarded[0]; ++i)
    sigaction(kForwarded[i], &g_previous[i], nullptr);
  sigprocmask(SIG_SETMASK, &g_previous_mask, nullptr);
  g_child = 0;
}

void SignalForwarder::set_child(int64_t pid) {
  g_child = static_cast<pid_t>(pid);
  if (int sig = g_pending.exchange(0); sig != 0) ::kill(static_cast<pid_t>(pid), sig);
}

int SignalForwarder::received() const { return g_received; }

}  // namespace upkeep

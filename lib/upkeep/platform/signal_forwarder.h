// SignalForwarder: while the launcher waits for the application it started
// (a trial: it stays the application's parent), the requests to end that
// reach the launcher go to the application instead: SIGINT, SIGTERM and
// SIGHUP sent to the launcher are sent on to the child, and the launcher
// goes on waiting to report how the child ended. A signal the terminal sent
// to the whole foreground process group (Ctrl-C) is not sent a second time:
// the child got it already. A signal that arrives before set_child() is
// sent on then.
//
// At most one instance at a time (the handlers are process-wide); the
// previous handlers come back on destruction. Implemented per platform
// (signal_forwarder_posix.cpp). One thread.
#pragma once

#include <cstdint>

namespace upkeep {

class SignalForwarder {
 public:
  SignalForwarder();
  ~SignalForwarder();
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

  // The process the signals go to from now on.
  void set_child(int64_t pid);
  // The last signal the launcher received while this lived (0: none).
  int received() const;
};

}  // namespace upkeep

// Termination requests (Ctrl-C, SIGTERM from a service manager) as an
// ordinary blocking call instead of an asynchronous signal handler.
//
// Call block_termination_requests() on the main thread before starting any
// thread (threads inherit the blocked mask), then have one thread call
// wait_for_termination_request(). Implemented per platform
// (termination_posix.cpp).
#pragma once

namespace upkeep {

void block_termination_requests();
// Blocks until a termination request arrives; returns its name ("SIGINT", "SIGTERM").
const char* wait_for_termination_request();

}  // namespace upkeep

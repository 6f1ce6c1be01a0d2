// Socket descriptors a server shares with its owner (the web UI on a
// socket the app also hands over at a restart). Implemented per platform
// (socket_descriptor_posix.cpp). Any thread.
#pragma once

namespace upkeep {

// A close-on-exec copy of `fd`, which must be a socket; the caller owns the copy.
// Throws Error(kBadInput) when `fd` is not an open socket.
int duplicate_socket(int fd);

// A peer that went away must fail a write (EPIPE), not kill the process
// with SIGPIPE: ignores the signal for the whole process. Idempotent.
void ignore_broken_pipe();

}  // namespace upkeep

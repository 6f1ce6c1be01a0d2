// For servers that cannot take a listening socket from the test (Apache
// httpd, s3rver): a port of 127.0.0.1 found free and closed
// again, named on their command line, and a wait (with a deadline) until
// the server accepts there.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "test_support.h"

namespace upkeep::test {

inline int free_loopback_port() {
  const int s = listen_on_loopback();
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

inline bool accepts_on(int port) {
  const int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

// Fails the test (showing `log()`) when nothing accepts on `port` within 30 s.
inline void wait_until_accepting(int port, const std::function<std::string()>& log) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!accepts_on(port)) {
    INFO("server log:\n" << log());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a real condition, with a deadline
  }
}

}  // namespace upkeep::test

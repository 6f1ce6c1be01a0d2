// PlaceholderWebUi: stands in for WebUiServer until it lands (issue #16):
// answers every HTTP request on the web UI's socket with 200 "mainapp
// VERSION" when its query carries the token, else 403. One request per
// connection, one at a time, on a thread of its own; stop() stops
// accepting, finishes the request in hand and joins. Thread-safe.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace upkeep {

class PlaceholderWebUi {
 public:
  PlaceholderWebUi(int listen_fd, std::string token, std::string version);
  ~PlaceholderWebUi();
  void stop();

 private:
  void serve();
  void answer(int connection);
  int listen_fd_;
  std::string token_;
  std::string version_;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace upkeep

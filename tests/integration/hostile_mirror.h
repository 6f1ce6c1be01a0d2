// Hostile HTTP servers on 127.0.0.1 for the network's bad cases (issue #17):
// what an on-path attacker, a broken proxy or bad luck can do to a request.
//
// HostileMirror serves the files of a folder (a repository) like a plain
// static server, except that requests whose path ends with `suffix` ("" for
// every request) get the current Mode: honest; drip (the real headers, then
// drip_bytes body bytes (one by default) every drip_interval); stall (the headers, then nothing);
// silent (accepts, reads the request, never answers); oversize (a
// Content-Length and body 1000 bytes longer than the file); tamper (the
// file with one byte flipped). The mode can change between requests. Range
// is ignored (always 200 with the whole file). Each connection has its own
// thread; the destructor wakes and joins them all.
//
// (tests/unit/tuf/repository_simulator.h's HostileServer fronts a
// RepoServer by redirects instead, for the TUF client's endless-data cases.)
//
// SilentServer: a listening socket that never accepts (the kernel completes
// the connection, nothing ever answers).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace upkeep::test {

class HostileMirror {
 public:
  enum class Mode { kHonest, kDrip, kStall, kSilent, kOversize, kTamper };

  HostileMirror(std::filesystem::path root, std::string suffix, Mode mode = Mode::kHonest);
  ~HostileMirror();
  HostileMirror(const HostileMirror&) = delete;
  HostileMirror& operator=(const HostileMirror&) = delete;

  std::string url() const;  // "http://127.0.0.1:PORT/"
  void set_mode(Mode m) { mode_ = m; }
  // Requests that got the hostile mode so far (not the honest ones).
  int hostile_requests() const { return hostile_requests_; }
  int requests() const { return requests_; }
  std::chrono::milliseconds drip_interval{1000};
  size_t drip_bytes = 1;  // sent each drip_interval: more makes a slow but steady server

 private:
  void accept_loop();
  void serve(int fd);
  void answer(int fd, const std::string& path);
  // Waits up to `d` unless the server stops; false when it stops.
  bool pause(std::chrono::milliseconds d);

  std::filesystem::path root_;
  std::string suffix_;
  std::atomic<Mode> mode_;
  std::atomic<int> hostile_requests_{0};
  std::atomic<int> requests_{0};
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::set<int> open_fds_;
  std::vector<std::thread> connections_;
  std::thread acceptor_;
};

struct SilentServer {
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int fd = -1;
  std::string url;  // "http://127.0.0.1:PORT/"
};

}  // namespace upkeep::test

#include "hostile_mirror.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace upkeep::test {
namespace {

int loopback_listener(uint16_t& port, int backlog) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  port = ntohs(a.sin_port);
  return fd;
}

bool send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// The request's path ("/metadata/timestamp.json"), or "" when the request never completes.
std::string read_request_path(int fd) {
  std::string req;
  char buf[4096];
  while (req.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    req.append(buf, static_cast<size_t>(n));
  }
  std::istringstream line(req.substr(0, req.find("\r\n")));
  std::string method, path;
  line >> method >> path;
  return path;
}

std::string head(int status, const char* reason, size_t length) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Length: " + std::to_string(length) +
         "\r\nConnection: close\r\n\r\n";
}

}  // namespace

HostileMirror::HostileMirror(std::filesystem::path root, std::string suffix, Mode mode)
    : root_(std::move(root)), suffix_(std::move(suffix)), mode_(mode) {
  listen_fd_ = loopback_listener(port_, 64);
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  acceptor_ = std::thread([this] { accept_loop(); });
}

HostileMirror::~HostileMirror() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // wakes a connection blocked in recv
  }
  stop_cv_.notify_all();
  (void)!::write(wake_[1], "x", 1);
  acceptor_.join();
  for (auto& t : connections_) t.join();
  ::close(listen_fd_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string HostileMirror::url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

bool HostileMirror::pause(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !stop_cv_.wait_for(lock, d, [this] { return stopping_; });
}

void HostileMirror::accept_loop() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) continue;
    if (p[1].revents) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> g(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.insert(fd);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void HostileMirror::serve(int fd) {
  ++requests_;
  const std::string path = read_request_path(fd);
  if (!path.empty()) answer(fd, path);
  std::lock_guard<std::mutex> g(mutex_);
  open_fds_.erase(fd);
  ::close(fd);
}

void HostileMirror::answer(int fd, const std::string& path) {
  const std::filesystem::path file = root_ / path.substr(1, path.find('?') - 1);
  std::ifstream in(file, std::ios::binary);
  if (path.find("..") != std::string::npos || !in || std::filesystem::is_directory(file)) {
    send_all(fd, head(404, "Not Found", 0));
    return;
  }
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Mode mode = path.ends_with(suffix_) ? mode_.load() : Mode::kHonest;
  if (mode != Mode::kHonest) ++hostile_requests_;
  switch (mode) {
    case Mode::kHonest:
      send_all(fd, head(200, "OK", body.size()) + body);
      return;
    case Mode::kTamper:
      if (!body.empty()) body[body.size() / 2] ^= 0x5a;
      send_all(fd, head(200, "OK", body.size()) + body);
      return;
    case Mode::kOversize:
      body += std::string(1000, 'x');
      send_all(fd, head(200, "OK", body.size()) + body);
      return;
    case Mode::kSilent:
      pause(std::chrono::hours(1));
      return;
    case Mode::kStall:
      if (send_all(fd, head(200, "OK", body.size()))) pause(std::chrono::hours(1));
      return;
    case Mode::kDrip:
      if (!send_all(fd, head(200, "OK", body.size()))) return;
      for (size_t at = 0; at < body.size(); at += drip_bytes)
        if (!pause(drip_interval) || !send_all(fd, body.substr(at, drip_bytes))) return;
      return;
  }
}

SilentServer::SilentServer() {
  uint16_t port = 0;
  fd = loopback_listener(port, 64);
  url = "http://127.0.0.1:" + std::to_string(port) + "/";
}

SilentServer::~SilentServer() { ::close(fd); }

}  // namespace upkeep::test

#include "placeholder_web_ui.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "upkeep/base/error.h"

namespace upkeep {

PlaceholderWebUi::PlaceholderWebUi(int listen_fd, std::string token, std::string version)
    : listen_fd_(listen_fd), token_(std::move(token)), version_(std::move(version)) {
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, "cannot make the web UI's stop pipe");
  thread_ = std::thread([this] { serve(); });
}

PlaceholderWebUi::~PlaceholderWebUi() {
  stop();
  close(stop_pipe_[0]);
  close(stop_pipe_[1]);
}

void PlaceholderWebUi::stop() {
  if (!thread_.joinable()) return;
  char b = 1;
  (void)!write(stop_pipe_[1], &b, 1);
  thread_.join();
}

void PlaceholderWebUi::serve() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    answer(c);
    close(c);
  }
}

void PlaceholderWebUi::answer(int c) {
  timeval tv{5, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string request;
  char buf[2048];
  ssize_t n;
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384 &&
         (n = recv(c, buf, sizeof buf, 0)) > 0)
    request.append(buf, static_cast<size_t>(n));
  std::string line = request.substr(0, request.find("\r\n"));
  bool allowed = line.find("token=" + token_) != std::string::npos;
  std::string body = allowed ? "mainapp " + version_ + "\n" : "forbidden\n";
  std::string reply = std::string(allowed ? "HTTP/1.0 200 OK" : "HTTP/1.0 403 Forbidden") +
                      "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body;
  (void)!send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
}

}  // namespace upkeep

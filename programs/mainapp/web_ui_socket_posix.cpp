#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/update/listen_fds.h"
#include "upkeep/webui/access_token.h"
#include "web_ui_socket.h"

namespace upkeep {

namespace {

// A token handed over by the previous version (AccessToken's form), else none.
std::string inherited_token() {
  const char* t = std::getenv(WebUiSocket::kTokenVariable);
  if (!t) return "";
  try {
    return webui::AccessToken::from(t).text();
  } catch (const std::exception& e) {
    spdlog::warn("ignoring {}: {}", WebUiSocket::kTokenVariable, e.what());
    return "";
  }
}

int fresh_loopback_socket() {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) fail(ErrorCode::kFailure, std::string("cannot open the web UI's socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(s, 64) != 0) {
    int err = errno;
    close(s);
    fail(ErrorCode::kFailure, std::string("cannot listen on 127.0.0.1 for the web UI: ") + std::strerror(err));
  }
  return s;
}

int port_of(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sin_family != AF_INET) return 0;
  return ntohs(addr.sin_port);
}

}  // namespace

WebUiSocket::WebUiSocket(int fd, std::string token, bool inherited)
    : fd_(fd), token_(std::move(token)), inherited_(inherited) {}

WebUiSocket::WebUiSocket(WebUiSocket&& other) noexcept
    : fd_(other.fd_), token_(std::move(other.token_)), inherited_(other.inherited_) {
  other.fd_ = -1;
}

WebUiSocket::~WebUiSocket() {
  if (fd_ >= 0) close(fd_);
}

WebUiSocket WebUiSocket::acquire() {
  int fd = -1;
  for (const ListenFd& l : inherited_listen_fds()) {
    if (l.name == kSocketName && fd < 0 && port_of(l.fd) != 0) {
      fd = l.fd;
    } else {
      spdlog::warn("closing an inherited socket that is not the web UI's (fd {}, name {})", l.fd, l.name);
      close(l.fd);
    }
  }
  std::string token = fd >= 0 ? inherited_token() : "";
  if (fd >= 0 && token.empty()) spdlog::warn("the web UI's socket was handed over without its token: a new URL");
  if (token.empty()) token = webui::AccessToken::generate().text();
  bool inherited = fd >= 0;
  if (fd < 0) fd = fresh_loopback_socket();
  setenv(kTokenVariable, token.c_str(), 1);  // for the version a restart starts
  return WebUiSocket(fd, token, inherited);
}

}  // namespace upkeep

// What the fetcher reads from a server: a raw HTTP response (status line,
// headers such as Content-Length, Content-Range and Location, the body),
// served by a loopback server on 127.0.0.1 to the real HttpFetcher over a
// real socket. Poco parses the head; the fuzzer reaches our use of it:
// statuses, redirects (same server, up to the limit), the size limit, the
// Range/206 checks of a resumed download and the length and hash checks.
// Input: one mode byte (0 get, 1 download, 2 download resuming a .part of
// 5 bytes), then the response, sent as is for every connection.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "fuzz_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/http_fetcher.h"

namespace {

// Serves the current response to every connection, one at a time: reads the
// request head, writes the response, closes.
class LoopbackServer {
 public:
  static LoopbackServer& get() {
    static LoopbackServer* s = new LoopbackServer;  // lives as long as the process (its thread serves on)
    return *s;
  }
  uint16_t port() const { return port_; }
  void respond_with(std::string_view response) {
    std::lock_guard<std::mutex> lock(mutex_);
    response_ = response;
  }

 private:
  LoopbackServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      std::abort();
    port_ = ntohs(addr.sin_port);
    std::thread([this] { serve(); }).detach();
  }
  void serve() {
    for (;;) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      std::string response;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        response = response_;
      }
      for (size_t done = 0; done < response.size();) {
        const ssize_t n = ::send(fd, response.data() + done, response.size() - done, MSG_NOSIGNAL);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      ::shutdown(fd, SHUT_WR);
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      ::close(fd);
    }
  }
  int listener_ = -1;
  uint16_t port_ = 0;
  std::mutex mutex_;
  std::string response_;
};

constexpr std::string_view kContent = "0123456789abcdef";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  if (size < 1) return 0;
  const auto dir = fuzz::Scratch::get().fresh();
  LoopbackServer& server = LoopbackServer::get();
  server.respond_with(fuzz::as_text(data + 1, size - 1));
  upkeep::net::FetchOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.stall_timeout = std::chrono::milliseconds(2000);
  options.proxy = upkeep::net::kDirectProxy;
  upkeep::net::HttpFetcher fetcher(options);
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/targets/file";
  fuzz::accepts([&] {
    if (data[0] % 3 == 0) {
      const auto body = fetcher.get_if_exists(url, 64);
      if (body && body->size() > 64) std::abort();
      return;
    }
    if (data[0] % 3 == 2) fuzz::write_file(dir / "file.part", kContent.substr(0, 5));
    fetcher.download(url, dir / "file", kContent.size(), upkeep::sha256_hex(kContent), nullptr);
    std::ifstream in(dir / "file", std::ios::binary);
    const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (got != kContent) std::abort();  // success means the signed bytes, whatever the server said
  });
  return 0;
}

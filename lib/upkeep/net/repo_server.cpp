#include "upkeep/net/repo_server.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timestamp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/net/shared_handler_factory.h"

namespace upkeep::net {
namespace {

namespace stdfs = std::filesystem;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

constexpr int kMaxThreads = 16;

// What the handlers share with the RepoServer; outlives every handler.
struct State {
  stdfs::path root;  // canonical
  std::mutex mutex;
  std::optional<uint64_t> drop_after;          // testing aid, consumed by one response
  std::map<std::string, uint64_t> body_bytes;  // per request target, since the last reset
  int in_flight = 0;                           // requests being answered
  std::condition_variable idle;                // notified when in_flight drops to 0

  void begin_request() {
    std::lock_guard lock(mutex);
    ++in_flight;
  }
  void end_request(const std::string& target, uint64_t n) {
    std::lock_guard lock(mutex);
    body_bytes[target] += n;
    if (--in_flight == 0) idle.notify_all();
  }

  std::optional<uint64_t> take_drop() {
    std::lock_guard lock(mutex);
    auto n = drop_after;
    drop_after.reset();
    return n;
  }
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the request target into path segments; nullopt = malformed or
// unsafe (bad escape, NUL, backslash, "." or ".." segment, not origin-form).
std::optional<std::vector<std::string>> decode_target(const std::string& uri) {
  if (uri.empty() || uri.front() != '/') return std::nullopt;
  const std::string raw = uri.substr(0, uri.find_first_of("?#"));
  std::vector<std::string> segments;
  std::string seg;
  auto finish = [&]() -> bool {
    if (seg == "." || seg == "..") return false;
    if (!seg.empty()) segments.push_back(seg);
    seg.clear();
    return true;
  };
  for (size_t i = 1; i <= raw.size(); ++i) {
    if (i == raw.size() || raw[i] == '/') {
      if (!finish()) return std::nullopt;
      continue;
    }
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return std::nullopt;
      const int hi = hex_value(raw[i + 1]);
      const int lo = hex_value(raw[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      if (c == '/') return std::nullopt;  // an encoded separator would hide a segment boundary
    }
    if (c == '\0' || c == '\\') return std::nullopt;
    seg.push_back(c);
  }
  return segments;
}

bool is_under(const stdfs::path& p, const stdfs::path& root) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end();
}

// Consistent-snapshot names ("3.root.json", "<sha256>.package.zip") never change content.
bool is_immutable_name(const std::string& name) {
  size_t digits = 0, hex = 0;
  while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) ++digits;
  while (hex < name.size() && hex_value(name[hex]) >= 0) ++hex;
  const auto dot_at = [&](size_t i) { return i < name.size() && name[i] == '.'; };
  // A delta patch, "<from sha>-<to sha>.<algorithm>", is named by content too.
  size_t second = 0;
  if (hex >= 32 && hex < name.size() && name[hex] == '-')
    while (hex + 1 + second < name.size() && hex_value(name[hex + 1 + second]) >= 0) ++second;
  return (digits > 0 && dot_at(digits)) || (hex >= 32 && dot_at(hex)) || (second >= 32 && dot_at(hex + 1 + second));
}

std::string content_type(const stdfs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".json") return "application/json";
  if (ext == ".zip") return "application/zip";
  return "application/octet-stream";
}

// True when an If-None-Match list names this entity tag (weak comparison).
bool etag_matches(const std::string& header, const std::string& etag) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t comma = header.find(',', pos);
    std::string item = header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (item.rfind("W/", 0) == 0) item.erase(0, 2);
    if (item == "*" || item == etag) return true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

enum class RangeKind { kNone, kSatisfiable, kUnsatisfiable };

// One "bytes=" range against a file of `size` bytes. Malformed or multiple
// ranges are ignored (the whole file is sent), as RFC 9110 allows.
RangeKind parse_range(const std::string& header, uint64_t size, uint64_t& first, uint64_t& last) {
  if (header.rfind("bytes=", 0) != 0) return RangeKind::kNone;
  const std::string spec = header.substr(6);
  if (spec.find(',') != std::string::npos) return RangeKind::kNone;
  const size_t dash = spec.find('-');
  if (dash == std::string::npos) return RangeKind::kNone;
  const std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
  auto number = [](const std::string& s, uint64_t& out) {
    if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
    out = std::stoull(s);
    return true;
  };
  uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last y bytes
    if (!number(b, y)) return RangeKind::kNone;
    if (y == 0 || size == 0) return RangeKind::kUnsatisfiable;
    first = size - std::min(y, size);
    last = size - 1;
    return RangeKind::kSatisfiable;
  }
  if (!number(a, x)) return RangeKind::kNone;
  if (!b.empty() && (!number(b, y) || y < x)) return RangeKind::kNone;
  if (x >= size) return RangeKind::kUnsatisfiable;
  first = x;
  last = b.empty() ? size - 1 : std::min(y, size - 1);
  return RangeKind::kSatisfiable;
}

class FileHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit FileHandler(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    state_->begin_request();
    uint64_t sent = 0;
    try {
      sent = serve(req, resp);
    } catch (const std::exception& e) {
      spdlog::debug("serve {}: {}", req.getURI(), e.what());
      if (!resp.sent()) sent = send_status(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
    }
    spdlog::debug("{} {} {} -> {} ({} body bytes)", req.clientAddress().toString(), req.getMethod(), req.getURI(),
                  static_cast<int>(resp.getStatus()), sent);
    state_->end_request(req.getURI(), sent);
  }

 private:
  static uint64_t send_status(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status) {
    resp.setStatusAndReason(status);
    const std::string body = std::to_string(static_cast<int>(status)) + " " + resp.getReason() + "\n";
    resp.setContentType("text/plain");
    resp.setContentLength64(static_cast<Poco::Int64>(body.size()));
    resp.set("Cache-Control", "no-cache");
    resp.send() << body;
    return body.size();
  }

  uint64_t serve(HTTPServerRequest& req, HTTPServerResponse& resp) {
    const std::string& method = req.getMethod();
    const bool head = method == Poco::Net::HTTPRequest::HTTP_HEAD;
    if (!head && method != Poco::Net::HTTPRequest::HTTP_GET) {
      resp.set("Allow", "GET, HEAD");
      return send_status(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
    }
    auto segments = decode_target(req.getURI());
    if (!segments) return send_status(resp, HTTPResponse::HTTP_BAD_REQUEST);
    stdfs::path path = state_->root;
    for (const auto& s : *segments) path /= s;
    std::error_code ec;
    const stdfs::path real = stdfs::canonical(path, ec);
    if (ec || !is_under(real, state_->root) || !stdfs::is_regular_file(real, ec))
      return send_status(resp, HTTPResponse::HTTP_NOT_FOUND);

    const Poco::File file(real.string());
    const uint64_t size = static_cast<uint64_t>(file.getSize());
    const Poco::Timestamp modified = file.getLastModified();
    const std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(modified.epochMicroseconds()) + "\"";
    resp.set("ETag", etag);
    resp.set("Last-Modified", Poco::DateTimeFormatter::format(modified, Poco::DateTimeFormat::HTTP_FORMAT));
    resp.set("Cache-Control",
             is_immutable_name(real.filename().string()) ? "public, max-age=31536000, immutable" : "no-cache");
    resp.set("Accept-Ranges", "bytes");
    if (req.has("If-None-Match") && etag_matches(req.get("If-None-Match"), etag)) {
      resp.setStatusAndReason(HTTPResponse::HTTP_NOT_MODIFIED);
      resp.send();
      return 0;
    }

    uint64_t first = 0, last = size == 0 ? 0 : size - 1, length = size;
    const RangeKind range = req.has("Range") ? parse_range(req.get("Range"), size, first, last) : RangeKind::kNone;
    if (range == RangeKind::kUnsatisfiable) {
      resp.set("Content-Range", "bytes */" + std::to_string(size));
      return send_status(resp, HTTPResponse::HTTP_REQUESTED_RANGE_NOT_SATISFIABLE);
    }
    if (range == RangeKind::kSatisfiable) {
      length = last - first + 1;
      resp.setStatusAndReason(HTTPResponse::HTTP_PARTIAL_CONTENT);
      resp.set("Content-Range",
               "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
    }
    resp.setContentType(content_type(real));
    resp.setContentLength64(static_cast<Poco::Int64>(length));

    std::ifstream in(real, std::ios::binary);
    if (!in) return send_status(resp, HTTPResponse::HTTP_NOT_FOUND);
    in.seekg(static_cast<std::streamoff>(first));
    uint64_t to_send = length;
    if (!head) {
      if (auto drop = state_->take_drop()) {
        to_send = std::min(to_send, *drop);
        resp.setKeepAlive(false);  // the connection ends after the short body
      }
    }
    std::ostream& out = resp.send();
    if (head) return 0;
    std::vector<char> buf(64 * 1024);
    uint64_t sent = 0;
    while (sent < to_send && out) {
      in.read(buf.data(), static_cast<std::streamsize>(std::min<uint64_t>(buf.size(), to_send - sent)));
      const auto n = in.gcount();
      if (n <= 0) break;  // the file shrank under us: the client sees a short body
      out.write(buf.data(), n);
      sent += static_cast<uint64_t>(n);
    }
    out.flush();
    return sent;
  }

  std::shared_ptr<State> state_;
};

}  // namespace

struct RepoServer::Impl {
  stdfs::path root;
  std::string host;
  uint16_t requested_port = 0;
  std::atomic<uint16_t> port{0};
  std::shared_ptr<State> state = std::make_shared<State>();
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::HTTPServer> server;
};

RepoServer::RepoServer(stdfs::path root, std::string host, uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->root = std::move(root);
  impl_->host = std::move(host);
  impl_->requested_port = port;
}

RepoServer::~RepoServer() {
  try {
    stop();
  } catch (...) {  // destructors must not throw; stop() already did its best
  }
}

void RepoServer::start() {
  if (impl_->server) return;
  std::error_code ec;
  const stdfs::path root = stdfs::canonical(impl_->root, ec);
  if (ec || !stdfs::is_directory(root, ec))
    fail(ErrorCode::kNotFound, impl_->root.string() + ": repository root is not a directory");
  impl_->state->root = root;
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(impl_->host, impl_->requested_port));
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(kMaxThreads);
    params->setKeepAlive(true);
    params->setTimeout(Poco::Timespan(30, 0));
    impl_->pool = std::make_unique<Poco::ThreadPool>(2, kMaxThreads + 2);
    impl_->server = std::make_unique<Poco::Net::HTTPServer>(new SharedHandlerFactory<FileHandler, State>(impl_->state),
                                                            *impl_->pool, socket, params);
    impl_->server->start();
    impl_->port = socket.address().port();
  } catch (const Poco::Exception& e) {
    impl_->server.reset();
    impl_->pool.reset();
    fail(ErrorCode::kNetwork,
         "cannot serve on " + impl_->host + ":" + std::to_string(impl_->requested_port) + ": " + e.displayText());
  }
  spdlog::debug("serving {} on {}:{}", root.string(), impl_->host, impl_->port.load());
}

uint16_t RepoServer::port() const { return impl_->port; }

void RepoServer::stop() {
  if (!impl_->server) return;
  impl_->server->stopAll(true);
  impl_->pool->joinAll();
  impl_->server.reset();
  impl_->pool.reset();
}

uint64_t RepoServer::body_bytes_sent(std::string_view target_contains) const {
  std::lock_guard lock(impl_->state->mutex);
  uint64_t total = 0;
  for (const auto& [target, n] : impl_->state->body_bytes)
    if (target.find(target_contains) != std::string::npos) total += n;
  return total;
}

void RepoServer::reset_byte_counts() {
  std::unique_lock lock(impl_->state->mutex);
  // A response to a client that was just killed may still be on its way out: count it before the reset.
  impl_->state->idle.wait(lock, [&] { return impl_->state->in_flight == 0; });
  impl_->state->body_bytes.clear();
}

void RepoServer::set_drop_after_bytes(std::optional<uint64_t> n) {
  std::lock_guard lock(impl_->state->mutex);
  impl_->state->drop_after = n;
}

}  // namespace upkeep::net

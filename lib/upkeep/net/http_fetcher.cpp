#include "upkeep/net/http_fetcher.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <type_traits>

#include "upkeep/base/error.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/net/resumable_download.h"
#include "upkeep/net/transfer_guard.h"

namespace upkeep::net {
namespace {

namespace stdfs = std::filesystem;
using Poco::Net::HTTPResponse;

constexpr int kMaxRedirects = 5;
constexpr size_t kBufferSize = 64 * 1024;
constexpr size_t kMaxServerFacts = 64;

// A client TLS context: verifies the peer against the system CA store
// (OpenSSL's default paths) and, through Poco, the host name. STRICT, because
// Poco's RELAXED mode skips the host-name check for 127.0.0.1 and localhost.
Poco::Net::Context::Ptr make_client_context() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", Poco::Net::Context::VERIFY_STRICT, 9,
                                /*loadDefaultCAs=*/true);
}

const char* env(const char* lower_name, const char* upper_name) {
  const char* v = std::getenv(lower_name);
  if (!v || !*v) v = std::getenv(upper_name);
  return v && *v ? v : nullptr;
}

// no_proxy: comma-separated host names or domain suffixes; "*" matches all.
bool bypass_proxy(const std::string& host) {
  const char* list = env("no_proxy", "NO_PROXY");
  if (!list) return false;
  std::stringstream ss(list);
  std::string entry;
  const std::string h = Poco::toLower(host);
  while (std::getline(ss, entry, ',')) {
    entry.erase(0, entry.find_first_not_of(" \t"));
    entry.erase(entry.find_last_not_of(" \t") + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.front() == '.') entry.erase(0, 1);
    if (auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(':') == colon) entry.resize(colon);
    entry = Poco::toLower(entry);
    if (h == entry || (h.size() > entry.size() && h.ends_with("." + entry))) return true;
  }
  return false;
}

void apply_proxy(Poco::Net::HTTPClientSession& session, const Poco::URI& target, const std::string& configured) {
  std::string proxy = configured;
  if (proxy == kDirectProxy) return;  // managed policy: no proxy, whatever the environment says
  if (proxy.empty()) {
    const char* v = target.getScheme() == "https" ? env("https_proxy", "HTTPS_PROXY") : env("http_proxy", "HTTP_PROXY");
    if (!v || bypass_proxy(target.getHost())) return;
    proxy = v;
  }
  if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
  Poco::URI p;
  try {
    p = Poco::URI(proxy);
  } catch (const Poco::Exception& e) {
    fail(ErrorCode::kUsage, "proxy '" + proxy + "': " + e.displayText() + " (expected http://host:port)");
  }
  if (p.getHost().empty()) fail(ErrorCode::kUsage, "proxy '" + proxy + "': no host (expected http://host:port)");
  session.setProxy(p.getHost(), p.getPort());
  if (auto colon = p.getUserInfo().find(':'); colon != std::string::npos)
    session.setProxyCredentials(p.getUserInfo().substr(0, colon), p.getUserInfo().substr(colon + 1));
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// A Poco session (HTTPClientSession or HTTPSClientSession) under a
// TransferGuard: its socket is attached once connected and detached before
// it is closed, and every body byte read is counted.
template <typename Base>
class GuardedSession : public Base {
 public:
  template <typename... Args>
  explicit GuardedSession(TransferGuard& guard, Args&&... args) : Base(std::forward<Args>(args)...), guard_(guard) {}
  ~GuardedSession() override { guard_.detach(); }

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    if constexpr (std::is_same_v<Base, Poco::Net::HTTPSClientSession>) {
      // The TLS handshake after the socket is attached (on the first write), so the guard
      // bounds it too; through a proxy Poco shakes hands in connect() (one read timeout per read).
      if (this->getProxyHost().empty()) Poco::Net::SecureStreamSocket(this->socket()).setLazyHandshake(true);
    }
    Base::connect(address);
    guard_.attach(this->socket().impl()->sockfd());
  }
  int read(char* buffer, std::streamsize length) override {
    const int n = Base::read(buffer, length);
    if (n > 0) guard_.count(static_cast<uint64_t>(n));
    return n;
  }

 private:
  TransferGuard& guard_;
};

// A response whose headers have arrived; the body is ready to be read.
struct HttpResponse {
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  HTTPResponse head;
  std::istream* body = nullptr;
};

// The request target exactly as written in the URL: Poco::URI decodes the
// path, and "%2F" inside a TUF role name must stay "%2F" on the wire.
std::string raw_request_target(const std::string& url) {
  auto scheme_end = url.find("://");
  auto start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (start == std::string::npos) return "/";
  return url.substr(start, url.find('#', start) - start);
}

// The Basic or Bearer credential configured for `url`, if any.
const Credential* http_credential(const FetchOptions& opts, const std::string& url) {
  if (!opts.credentials) return nullptr;
  const Credential* c = opts.credentials->find(url);
  if (c && c->kind != Credential::Kind::kBasic && c->kind != Credential::Kind::kBearer) return nullptr;
  return c;
}

// The status line is ours, not the server's reason text: a server does not write our messages.
[[noreturn]] void refused(const std::string& url, int status, const Credential* credential) {
  fail(ErrorCode::kCredentials, "refused: credentials: " + url + " answered " +
                                    (status == HTTPResponse::HTTP_UNAUTHORIZED ? "401 Unauthorized" : "403 Forbidden") +
                                    (credential ? " (the credentials configured for it were refused)"
                                                : " (no credentials are configured for it)"));
}

// Sends a GET (optionally with a Range header), following redirects, with the
// credentials configured for each hop's URL; 401 and 403 are Error(kCredentials).
// Poco exceptions escape; callers turn them into Error(kNetwork).
HttpResponse open_http(const std::string& url, const FetchOptions& opts, const std::string& range,
                       Poco::Net::Context::Ptr& tls, TransferGuard& guard) {
  Poco::URI uri(url);
  std::string raw_url = url;
  for (int redirects = 0;; ++redirects) {
    HttpResponse r;
    const std::string scheme = uri.getScheme();
    if (scheme == "https") {
      if (!tls) tls = make_client_context();
      r.session =
          std::make_unique<GuardedSession<Poco::Net::HTTPSClientSession>>(guard, uri.getHost(), uri.getPort(), tls);
    } else {
      r.session = std::make_unique<GuardedSession<Poco::Net::HTTPClientSession>>(guard, uri.getHost(), uri.getPort());
    }
    r.session->setTimeout(Poco::Timespan(opts.connect_timeout.count() * 1000),
                          Poco::Timespan(opts.stall_timeout.count() * 1000),
                          Poco::Timespan(opts.stall_timeout.count() * 1000));
    apply_proxy(*r.session, uri, opts.proxy);
    std::string target = raw_request_target(raw_url);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("User-Agent", std::string("upkeep/") + UPKEEP_VERSION_STRING);
    if (!range.empty()) request.set("Range", range);
    // Looked up again for every hop: a redirect to another origin (or out of the prefix) carries none.
    const Credential* credential = http_credential(opts, raw_url);
    if (credential) request.set("Authorization", credential->authorization());
    r.session->sendRequest(request);
    r.body = &r.session->receiveResponse(r.head);
    const int status = r.head.getStatus();
    if (status == HTTPResponse::HTTP_UNAUTHORIZED || status == HTTPResponse::HTTP_FORBIDDEN)
      refused(raw_url, status, credential);  // never retried: the same credentials get the same answer
    if (!is_redirect(status) || !r.head.has("Location")) return r;
    if (redirects == kMaxRedirects) fail(ErrorCode::kNetwork, url + ": more than 5 redirects");
    Poco::URI next(uri, r.head.get("Location"));
    const std::string next_scheme = next.getScheme();
    if (next_scheme != "https" && next_scheme != scheme)
      fail(ErrorCode::kNetwork, url + ": refusing redirect from " + scheme + " to " + next.toString());
    spdlog::debug("{}: HTTP {} redirect to {}", uri.toString(), status, next.toString());
    uri = next;
    raw_url = next.toString();
  }
}

// Runs fn, turning socket, TLS and protocol failures into Error(kNetwork);
// when the guard shut the socket down, the limit it passed is the error.
template <typename Fn>
auto network(const std::string& url, const FetchOptions& opts, const TransferGuard* guard, Fn&& fn) {
  auto limit_passed = [guard] {
    if (guard) guard->check();
  };
  try {
    return fn();
  } catch (const Error&) {
    limit_passed();
    throw;
  } catch (const Poco::TimeoutException&) {
    limit_passed();
    fail(ErrorCode::kNetwork, url + ": timed out (no data for " + std::to_string(opts.stall_timeout.count()) + " ms)");
  } catch (const Poco::Exception& e) {
    limit_passed();
    fail(ErrorCode::kNetwork, url + ": " + e.displayText());
  } catch (const std::ios_base::failure& e) {
    limit_passed();
    fail(ErrorCode::kNetwork, url + ": " + e.what());
  }
}

bool is_file_url(const std::string& url) { return Poco::toLower(url.substr(0, 7)) == "file://"; }

// The local path of a file:// URL; only absolute paths on this host.
stdfs::path file_path(const std::string& url) {
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    fail(ErrorCode::kUsage, url + ": " + e.displayText());
  }
  if (!uri.getHost().empty() && uri.getHost() != "localhost")
    fail(ErrorCode::kUsage, url + ": file URLs must name a local absolute path (file:///path)");
  if (uri.getPath().empty() || uri.getPath().front() != '/')
    fail(ErrorCode::kUsage, url + ": file URLs must name an absolute path (file:///path)");
  return uri.getPath();
}

void check_http_scheme(const std::string& url) {
  const auto colon = url.find("://");
  const std::string scheme = colon == std::string::npos ? "" : Poco::toLower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https")
    fail(ErrorCode::kUsage, url + ": unsupported URL (expected http://, https:// or file://)");
}

std::string status_text(const std::string& url, const HTTPResponse& head) {
  return url + ": HTTP " + std::to_string(head.getStatus()) + " " + head.getReason();
}

// Reads the whole body, refusing more than max_bytes.
std::string read_limited(std::istream& in, const std::string& url, uint64_t max_bytes) {
  std::string out;
  std::vector<char> buf(kBufferSize);
  for (;;) {
    const uint64_t room = max_bytes - out.size() + 1;  // one more byte proves the excess
    size_t n = read_some(in, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), room)));
    if (n == 0) return out;
    out.append(buf.data(), n);
    if (out.size() > max_bytes) fail(ErrorCode::kVerification, more_than(url, max_bytes), Fault::kDelivery);
  }
}

// Where the bytes of one download attempt come from, after the response head.
struct Source {
  HttpResponse http;                    // for http(s)
  std::unique_ptr<std::ifstream> file;  // for file://
  std::istream* body = nullptr;
  uint64_t start = 0;                   // offset of the first body byte in the resource
  std::optional<uint64_t> body_length;  // bytes the body promises, when known
  std::optional<uint64_t> total;        // size of the whole resource, when known

  // The resource's length as the source announces it, when it does.
  std::optional<uint64_t> announced() const {
    if (total) return total;
    return body_length ? std::optional(start + *body_length) : std::nullopt;
  }
};

// "bytes a-b/total" or "bytes a-b/*": returns false when malformed.
bool parse_content_range(const std::string& v, uint64_t& start, std::optional<uint64_t>& total) {
  unsigned long long a = 0, b = 0;
  char rest[32] = {0};
  if (std::sscanf(v.c_str(), "bytes %llu-%llu/%31s", &a, &b, rest) != 3 || b < a) return false;
  start = a;
  if (std::strcmp(rest, "*") != 0) {
    char* end = nullptr;
    total = std::strtoull(rest, &end, 10);
    if (!end || *end) return false;
  }
  return true;
}

// A file:// source from `offset` on (its start is where the file ends when it is shorter).
Source open_file_source(const std::string& url, uint64_t offset) {
  Source src;
  const stdfs::path path = file_path(url);
  std::error_code ec;
  if (!stdfs::is_regular_file(path, ec)) fail(ErrorCode::kNetwork, url + ": no such file");
  src.file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*src.file) fail(ErrorCode::kNetwork, url + ": cannot open: " + std::strerror(errno));
  src.total = stdfs::file_size(path);
  src.start = std::min(offset, *src.total);
  src.file->seekg(static_cast<std::streamoff>(src.start));
  src.body = src.file.get();
  src.body_length = *src.total - src.start;
  return src;
}

// An http(s) source: a Range request from the download's offset (none at
// zero). A 416, or a 206 from elsewhere, discards the .part.
Source open_http_source(const std::string& url, const FetchOptions& opts, Poco::Net::Context::Ptr& tls,
                        ResumableDownload& download, TransferGuard& guard) {
  Source src;
  const uint64_t offset = download.offset();
  src.http = open_http(url, opts, offset > 0 ? "bytes=" + std::to_string(offset) + "-" : "", tls, guard);
  const HTTPResponse& head = src.http.head;
  const int status = head.getStatus();
  if (status == HTTPResponse::HTTP_REQUESTED_RANGE_NOT_SATISFIABLE && offset > 0)
    download.discard(ErrorCode::kVerification, url + ": the server has fewer than " + std::to_string(offset) +
                                                   " bytes (HTTP 416), expected " +
                                                   std::to_string(download.expected_length()));
  if (status != HTTPResponse::HTTP_OK && status != HTTPResponse::HTTP_PARTIAL_CONTENT)
    fail(ErrorCode::kNetwork, status_text(url, head));
  if (head.hasContentLength()) src.body_length = static_cast<uint64_t>(head.getContentLength64());
  if (status == HTTPResponse::HTTP_PARTIAL_CONTENT) {
    if (!parse_content_range(head.get("Content-Range", ""), src.start, src.total) || src.start != offset)
      download.discard(ErrorCode::kNetwork, url + ": HTTP 206 with Content-Range '" + head.get("Content-Range", "") +
                                                "', expected bytes " + std::to_string(offset) + "-");
  } else {
    src.total = src.body_length;
  }
  src.body = src.http.body;
  return src;
}

}  // namespace

struct HttpFetcher::Tls {
  Poco::Net::Context::Ptr context;
};

ServerFacts HttpFetcher::server_facts(const std::string& url) const {
  auto it = server_facts_.find(url);
  return it == server_facts_.end() ? ServerFacts{} : it->second;
}

HttpFetcher::HttpFetcher(FetchOptions opts) : opts_(std::move(opts)), tls_(std::make_shared<Tls>()) {}

std::string HttpFetcher::get(const std::string& url, uint64_t max_bytes) {
  auto body = get_if_exists(url, max_bytes);
  if (!body) fail(ErrorCode::kNetwork, url + (is_file_url(url) ? ": no such file" : ": HTTP 404 Not Found"));
  return std::move(*body);
}

std::optional<std::string> HttpFetcher::get_if_exists(const std::string& url, uint64_t max_bytes) {
  if (is_file_url(url)) {
    const stdfs::path path = file_path(url);
    std::error_code ec;
    if (!stdfs::exists(path, ec)) return std::nullopt;
    if (!stdfs::is_regular_file(path, ec)) fail(ErrorCode::kNetwork, url + ": not a regular file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(ErrorCode::kNetwork, url + ": cannot open: " + std::strerror(errno));
    return read_limited(in, url, max_bytes);
  }
  check_http_scheme(url);
  TransferGuard guard(url, opts_, max_bytes);  // the cap is the length metadata is allowed
  return network(url, opts_, &guard, [&]() -> std::optional<std::string> {
    HttpResponse r = open_http(url, opts_, "", tls_->context, guard);
    const int status = r.head.getStatus();
    if (status == HTTPResponse::HTTP_NOT_FOUND) return std::nullopt;
    if (status < 200 || status > 299) fail(ErrorCode::kNetwork, status_text(url, r.head));
    if (r.head.hasContentLength() && static_cast<uint64_t>(r.head.getContentLength64()) > max_bytes)
      fail(ErrorCode::kVerification, more_than(url, max_bytes), Fault::kDelivery);
    std::string body = read_limited(*r.body, url, max_bytes);
    guard.check();  // the guard's shutdown ends the body like a close would
    if (r.head.hasContentLength() && body.size() < static_cast<uint64_t>(r.head.getContentLength64()))
      fail(ErrorCode::kNetwork, url + ": connection closed after " + std::to_string(body.size()) + " of " +
                                    std::to_string(r.head.getContentLength64()) + " bytes");
    if (server_facts_.size() >= kMaxServerFacts) server_facts_.clear();  // a long-running app: only recent replies
    server_facts_[url] = {url, r.head.get("Date", ""), r.head.get("Last-Modified", ""), r.head.get("Server", "")};
    return body;
  });
}

Fetcher::DownloadResult HttpFetcher::download(const std::string& url, const stdfs::path& dest, uint64_t expected_length,
                                              const std::string& expected_sha256, DownloadProgress* progress) {
  const bool local = is_file_url(url);
  if (!local) check_http_scheme(url);
  ResumableDownload download(url, dest, expected_length, expected_sha256, progress);
  if (download.finish_if_complete()) return download.result();
  // The signed length scales the deadline; file:// needs no guard.
  std::optional<TransferGuard> guard;
  if (!local) guard.emplace(url, opts_, expected_length);
  try {
    return network(url, opts_, guard ? &*guard : nullptr, [&]() -> DownloadResult {
      Source src = local ? open_file_source(url, download.offset())
                         : open_http_source(url, opts_, tls_->context, download, *guard);
      download.begin(src.start, src.announced());
      download.receive(*src.body);
      download.finish();
      return download.result();
    });
  } catch (const Error& e) {
    spdlog::debug("download {} failed: {}", url, e.what());
    throw;
  }
}

}  // namespace upkeep::net

#include "upkeep/webui/web_ui_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/net/shared_handler_factory.h"
#include "upkeep/platform/socket_descriptor.h"
#include "upkeep/webui/access_token.h"
#include "upkeep/webui/markdown_html.h"
#include "upkeep/webui/request_guard.h"
#include "upkeep/webui/web_ui_assets.h"

namespace upkeep::webui {
namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// How often an event stream looks up from its wait: for a stop, and for a client that went away.
constexpr std::chrono::milliseconds kStreamSlice{250};

const char* const kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// A listening socket adopted from a descriptor (Poco has no public constructor for one).
class AdoptedServerSocket : public Poco::Net::ServerSocket {
  struct Impl : Poco::Net::ServerSocketImpl {
    explicit Impl(int fd) { reset(fd); }
  };

 public:
  explicit AdoptedServerSocket(int fd) : ServerSocket(new Impl(fd), true) {}
};

std::string content_type(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
}

// What the handlers share with the WebUiServer; outlives every handler.
struct Shared {
  WebUiModel& model;
  std::string app_name;
  std::string token;
  std::chrono::milliseconds keep_alive;
  int max_event_streams;
  std::optional<RequestGuard> guard;  // set in start(), before the first request
  std::atomic<bool> stopping{false};
  std::atomic<int> event_streams{0};

  Shared(WebUiModel& m, const WebUiServer::Options& o)
      : model(m), app_name(o.app_name), keep_alive(o.keep_alive), max_event_streams(o.max_event_streams) {}
};

// The state as the page reads it: UpdateState's JSON, the notes as safe HTML, and the app's name.
std::string state_event(const UpdateState& state, const std::string& app_name) {
  Json j = Json::parse(state.to_json(), "UpdateState::to_json");
  j["notes_html"] = MarkdownHtml::render(state.notes);
  j["app_name"] = app_name;
  return "event: state\nid: " + std::to_string(state.revision) + "\ndata: " + j.dump(0) + "\n\n";
}

void set_common_headers(HTTPServerResponse& resp) {
  resp.set("Content-Security-Policy", kContentSecurityPolicy);
  resp.set("X-Content-Type-Options", "nosniff");
  resp.set("Referrer-Policy", "no-referrer");
  resp.set("Cache-Control", "no-store");
  resp.set("X-Frame-Options", "DENY");
  resp.set("Cross-Origin-Resource-Policy", "same-origin");
  resp.set("Cross-Origin-Opener-Policy", "same-origin");
}

void send_text(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status, const std::string& type,
               const std::string& body) {
  resp.setStatusAndReason(status);
  resp.setContentType(type);
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  resp.send() << body;
}

void send_status(HTTPServerResponse& resp, HTTPResponse::HTTPStatus status) {
  send_text(resp, status, "text/plain; charset=utf-8", HTTPResponse::getReasonForStatus(status) + "\n");
}

// True when the client closed its end (an event stream's client sends nothing after its request).
bool client_gone(HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (!impl) return false;
  try {
    Poco::Net::StreamSocket& socket = impl->socket();
    if (!socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR)) return false;
    char c;
    return socket.receiveBytes(&c, 1, MSG_PEEK) <= 0;
  } catch (const Poco::Exception&) {
    return true;
  }
}

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    try {
      set_common_headers(resp);
      if (req.getMethod() != "GET") resp.setKeepAlive(false);  // a body we never read must not start the next request
      route(req, resp);
    } catch (const std::exception& e) {
      spdlog::warn("web UI: {} {}: {}", req.getMethod(), path_of(req.getURI()), e.what());
      if (!resp.sent()) send_status(resp, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
    }
  }

 private:
  static std::string path_of(const std::string& uri) { return uri.substr(0, uri.find('?')); }

  void route(HTTPServerRequest& req, HTTPServerResponse& resp) {
    Poco::URI uri;
    try {
      uri = Poco::URI(req.getURI());
    } catch (const Poco::SyntaxException&) {
      return send_status(resp, HTTPResponse::HTTP_BAD_REQUEST);
    }
    if (auto refusal = shared_->guard->refusal(facts(req, uri))) {
      spdlog::info("web UI: refused {} {} from {}: {}", req.getMethod(), uri.getPath(), req.clientAddress().toString(),
                   *refusal);
      return send_status(resp, HTTPResponse::HTTP_FORBIDDEN);
    }
    const std::string path = uri.getPath();
    const bool get = req.getMethod() == "GET", post = req.getMethod() == "POST";
    if (path.rfind("/action/", 0) == 0) {
      auto action = action_from_name(path.substr(8));
      if (!action) return send_status(resp, HTTPResponse::HTTP_NOT_FOUND);
      if (!post) return send_status(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
      spdlog::info("web UI: the user chose {}", action_name(*action));
      shared_->model.act(*action);
      resp.setStatusAndReason(HTTPResponse::HTTP_NO_CONTENT);
      resp.setContentLength(0);
      resp.send();
      return;
    }
    const std::string name = path == "/" ? "index.html" : path.substr(1);
    const WebUiAsset* asset = name == "events" ? nullptr : find_web_ui_asset(name);
    if (!asset && name != "events") return send_status(resp, HTTPResponse::HTTP_NOT_FOUND);
    if (!get) return send_status(resp, HTTPResponse::HTTP_METHOD_NOT_ALLOWED);
    if (!asset) return stream_events(req, resp);
    std::string body(asset->body);
    if (name == "index.html") {  // the page names its resources with the token, which is URL-safe
      replace_all(body, "{{TOKEN}}", shared_->token);
      replace_all(body, "{{APP_NAME}}", MarkdownHtml::escape(shared_->app_name));
    }
    send_text(resp, HTTPResponse::HTTP_OK, content_type(name), body);
  }

  static RequestFacts facts(const HTTPServerRequest& req, const Poco::URI& uri) {
    RequestFacts f;
    f.method = req.getMethod();
    f.host = req.get("Host", "");
    if (req.has("Origin")) f.origin = req.get("Origin");
    if (req.has(RequestGuard::kTokenHeader)) f.header_token = req.get(RequestGuard::kTokenHeader);
    for (const auto& [key, value] : uri.getQueryParameters())
      if (key == "token") f.query_token = value;
    return f;
  }

  // Server-sent events: the state now, then one event per change, a comment every keep_alive.
  void stream_events(HTTPServerRequest& req, HTTPServerResponse& resp) {
    Shared& s = *shared_;
    if (s.event_streams.fetch_add(1) >= s.max_event_streams) {
      s.event_streams.fetch_sub(1);
      resp.set("Retry-After", "2");
      spdlog::warn("web UI: refused an event stream: {} are open", s.max_event_streams);
      return send_status(resp, HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    }
    struct Release {
      std::atomic<int>& n;
      ~Release() { n.fetch_sub(1); }
    } release{s.event_streams};
    resp.setContentType("text/event-stream");
    resp.setChunkedTransferEncoding(false);
    resp.setKeepAlive(false);
    std::ostream& out = resp.send();
    UpdateState state = s.model.state();
    out << "retry: 1000\n\n" << state_event(state, s.app_name) << std::flush;
    auto last_write = std::chrono::steady_clock::now();
    while (out.good() && !s.stopping && !client_gone(req)) {
      UpdateState next = s.model.wait_for_change(state.revision, kStreamSlice);
      if (s.stopping) break;
      const auto now = std::chrono::steady_clock::now();
      if (next.revision > state.revision) {
        state = std::move(next);
        out << state_event(state, s.app_name) << std::flush;
        last_write = now;
      } else if (now - last_write >= s.keep_alive) {
        out << ": keep-alive\n\n" << std::flush;
        last_write = now;
      }
    }
    spdlog::debug("web UI: an event stream from {} ended", req.clientAddress().toString());
  }

  std::shared_ptr<Shared> shared_;
};

}  // namespace

struct WebUiServer::Impl {
  Options options;
  std::shared_ptr<Shared> shared;
  Poco::ThreadPool pool{1, kMaxThreads};
  std::unique_ptr<Poco::Net::HTTPServer> server;
  uint16_t port = 0;
};

WebUiServer::WebUiServer(WebUiModel& model, Options options) : impl_(std::make_unique<Impl>()) {
  impl_->shared = std::make_shared<Shared>(model, options);
  impl_->options = std::move(options);
}

WebUiServer::~WebUiServer() { stop(); }

namespace {

Poco::Net::ServerSocket open_socket(const std::optional<int>& listen_fd) {
  if (!listen_fd) return Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 16);
  AdoptedServerSocket socket(duplicate_socket(*listen_fd));
  if (!socket.address().host().isLoopback())
    fail(ErrorCode::kBadInput,
         "web UI: the given socket listens on " + socket.address().toString() + ", not on a loopback address");
  return socket;
}

}  // namespace

void WebUiServer::start() {
  Impl& i = *impl_;
  if (i.server) return;
  AccessToken token = i.options.token.empty() ? AccessToken::generate() : AccessToken::from(i.options.token);
  try {
    Poco::Net::ServerSocket socket = open_socket(i.options.listen_fd);
    i.port = socket.address().port();
    i.shared->token = token.text();
    i.shared->stopping = false;
    i.shared->guard.emplace(std::move(token), i.port);
    auto params = Poco::makeAuto<Poco::Net::HTTPServerParams>();
    params->setMaxThreads(kMaxThreads);
    params->setMaxQueued(16);
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(2, 0));
    params->setTimeout(Poco::Timespan(10, 0));
    ignore_broken_pipe();
    i.server = std::make_unique<Poco::Net::HTTPServer>(
        Poco::makeShared<net::SharedHandlerFactory<Handler, Shared>>(i.shared), i.pool, socket, params);
    i.server->start();
  } catch (const Poco::Exception& e) {
    i.server.reset();
    fail(ErrorCode::kNetwork, "web UI: cannot listen: " + e.displayText());
  }
  spdlog::info("web UI: serving {} on 127.0.0.1:{}", i.options.app_name, i.port);
}

void WebUiServer::stop() {
  Impl& i = *impl_;
  if (!i.server) return;
  i.shared->stopping = true;  // event streams end within kStreamSlice
  i.server->stopAll(false);   // no new connection; requests in flight finish, idle ones close
  i.pool.joinAll();
  i.server.reset();
  spdlog::info("web UI: stopped");
}

uint16_t WebUiServer::port() const { return impl_->port; }
const std::string& WebUiServer::token() const { return impl_->shared->token; }
int WebUiServer::open_event_streams() const { return impl_->shared->event_streams.load(); }

std::string WebUiServer::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + "/?token=" + impl_->shared->token;
}

}  // namespace upkeep::webui

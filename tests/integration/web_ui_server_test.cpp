// WebUiServer at the HTTP level (docs/web-ui.md "Security"): a real server
// on 127.0.0.1 and Poco's HTTP client sending what a browser, another local
// user or a foreign web page (DNS rebinding, cross-origin POST) would. The
// page in a real browser: tests/browser/webui_test.mjs.
#include "upkeep/webui/web_ui_server.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "browser/webui_scripted_model.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"

using namespace upkeep;
using namespace upkeep::webui;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using upkeep::test::ScriptedModel;

namespace {

struct Reply {
  int status = 0;
  std::string body;
  HTTPResponse headers;
};

// One request; `host` replaces the Host header, `headers` are added.
Reply request(uint16_t port, const std::string& method, const std::string& target,
              const std::vector<std::pair<std::string, std::string>>& headers = {}, const std::string& host = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(10, 0));
  HTTPRequest req(method, target, HTTPRequest::HTTP_1_1);
  if (!host.empty()) req.setHost(host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.setContentLength(0);
  session.sendRequest(req);
  Reply r;
  std::istream& in = session.receiveResponse(r.headers);
  r.status = r.headers.getStatus();
  Poco::StreamCopier::copyToString(in, r.body);
  return r;
}

struct Served {
  std::mutex mutex;
  std::vector<WebUiAction> actions;
  ScriptedModel model;
  WebUiServer server;

  explicit Served(WebUiServer::Options options = {})
      : model(initial(), [this](WebUiAction a) { record(a); }), server(model, with_name(std::move(options))) {
    server.start();
  }
  static UpdateState initial() {
    UpdateState s;
    s.phase = UpdateState::Phase::kUpToDate;
    s.running_version = "1.0.0";
    return s;
  }
  static WebUiServer::Options with_name(WebUiServer::Options o) {
    o.app_name = "Test <App>";
    return o;
  }
  void record(WebUiAction a) {
    std::lock_guard lock(mutex);
    actions.push_back(a);
  }
  std::vector<WebUiAction> seen() {
    std::lock_guard lock(mutex);
    return actions;
  }
  uint16_t port() const { return server.port(); }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(server.port()); }
  std::string with_token(const std::string& path) const { return path + "?token=" + server.token(); }
};

void check_security_headers(const Reply& r) {
  CHECK(r.headers.get("Content-Security-Policy", "").find("default-src 'self'") != std::string::npos);
  CHECK(r.headers.get("Content-Security-Policy", "").find("unsafe-inline") == std::string::npos);
  CHECK(r.headers.get("Content-Security-Policy", "").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(r.headers.get("X-Content-Type-Options", "") == "nosniff");
  CHECK(r.headers.get("Referrer-Policy", "") == "no-referrer");
  CHECK(r.headers.get("Cache-Control", "") == "no-store");
}

// An open event stream read line by line.
class EventStream {
 public:
  EventStream(uint16_t port, const std::string& target) : session_("127.0.0.1", port) {
    session_.setTimeout(Poco::Timespan(10, 0));
    HTTPRequest req(HTTPRequest::HTTP_GET, target, HTTPRequest::HTTP_1_1);
    session_.sendRequest(req);
    in_ = &session_.receiveResponse(response_);
  }
  int status() const { return response_.getStatus(); }
  std::string content_type() const { return response_.getContentType(); }
  // The next line that starts with `prefix` (others are skipped); throws on a timeout or the end.
  std::string next(const std::string& prefix) {
    std::string line;
    while (std::getline(*in_, line))
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    throw std::runtime_error("the event stream ended before a line starting with '" + prefix + "'");
  }
  Json next_state() { return Json::parse(next("data: ")); }
  void close() { session_.abort(); }

 private:
  Poco::Net::HTTPClientSession session_;
  HTTPResponse response_;
  std::istream* in_ = nullptr;
};

}  // namespace

TEST_CASE("the web UI serves its page, script and style only with the token", "[webui]") {
  Served s;
  Reply page = request(s.port(), "GET", s.with_token("/"));
  CHECK(page.status == 200);
  CHECK(page.headers.getContentType() == "text/html; charset=utf-8");
  check_security_headers(page);
  CHECK(page.body.find("/app.js?token=" + s.server.token()) != std::string::npos);
  CHECK(page.body.find("<title>Test &lt;App&gt; · Updates</title>") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);  // no inline script: the CSP forbids it
  CHECK(page.body.find("{{") == std::string::npos);
  for (auto [path, type] :
       {std::pair{"/app.js", "text/javascript; charset=utf-8"}, std::pair{"/app.css", "text/css; charset=utf-8"},
        std::pair{"/icon.svg", "image/svg+xml"}}) {
    INFO(path);
    Reply r = request(s.port(), "GET", s.with_token(path));
    CHECK(r.status == 200);
    CHECK(r.headers.getContentType() == type);
    CHECK(r.body.size() > 100);
    check_security_headers(r);
  }
  CHECK(request(s.port(), "GET", s.with_token("/nothing")).status == 404);
  CHECK(request(s.port(), "GET", "/%zz" + s.with_token("")).status == 400);
  CHECK(request(s.port(), "POST", s.with_token("/"), {{"X-Upkeep-Token", s.server.token()}, {"Origin", s.origin()}})
            .status == 405);
  CHECK(request(s.port(), "GET", s.with_token("/action/restart")).status == 405);
  CHECK(s.server.url() == "http://127.0.0.1:" + std::to_string(s.port()) + "/?token=" + s.server.token());
}

TEST_CASE("a wrong or missing token, a foreign Origin and a DNS-rebinding Host get 403", "[webui]") {
  Served s;
  const std::string token = s.server.token();
  const std::string port = std::to_string(s.port());
  std::string wrong = token;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  for (const std::string path : {"/", "/app.js", "/events"}) {
    INFO(path);
    Reply missing = request(s.port(), "GET", path);
    CHECK(missing.status == 403);
    check_security_headers(missing);
    CHECK(missing.body.find(token) == std::string::npos);
    CHECK(request(s.port(), "GET", path + "?token=" + wrong).status == 403);
    CHECK(request(s.port(), "GET", path + "?token=").status == 403);
    CHECK(request(s.port(), "GET", path + "?token=" + token, {}, "evil.example:" + port).status == 403);
    CHECK(request(s.port(), "GET", path + "?token=" + token, {}, "127.0.0.1:1").status == 403);
  }
  CHECK(request(s.port(), "GET", s.with_token("/events"), {{"Origin", "http://evil.example"}}).status == 403);

  const std::vector<std::pair<std::string, std::string>> good = {{"X-Upkeep-Token", token}, {"Origin", s.origin()}};
  CHECK(request(s.port(), "POST", "/action/restart", {{"X-Upkeep-Token", token}, {"Origin", "http://evil.example"}})
            .status == 403);
  CHECK(request(s.port(), "POST", "/action/restart", {{"X-Upkeep-Token", token}}).status == 403);  // no Origin
  CHECK(request(s.port(), "POST", "/action/restart", {{"X-Upkeep-Token", wrong}, {"Origin", s.origin()}}).status ==
        403);
  CHECK(request(s.port(), "POST", s.with_token("/action/restart"), {{"Origin", s.origin()}}).status == 403);
  CHECK(request(s.port(), "POST", "/action/restart", good, "evil.example:" + port).status == 403);
  CHECK(s.seen().empty());  // nothing refused reached the model

  CHECK(request(s.port(), "POST", "/action/explode", good).status == 404);
  for (auto [name, action] : {std::pair{"restart", WebUiAction::kRestart}, std::pair{"later", WebUiAction::kLater},
                              std::pair{"skip", WebUiAction::kSkip}, std::pair{"check", WebUiAction::kCheck}}) {
    CHECK(request(s.port(), "POST", std::string("/action/") + name, good).status == 204);
    REQUIRE_FALSE(s.seen().empty());
    CHECK(s.seen().back() == action);
  }
  CHECK(s.seen().size() == 4);
  // The same with the other loopback name the page may be opened under.
  CHECK(request(s.port(), "POST", "/action/later", {{"X-Upkeep-Token", token}, {"Origin", "http://localhost:" + port}},
                "localhost:" + port)
            .status == 204);
}

TEST_CASE("the event stream: the state at once and on each change, keep-alives, a bounded number of streams",
          "[webui]") {
  WebUiServer::Options options;
  options.keep_alive = std::chrono::milliseconds(200);
  options.max_event_streams = 2;
  Served s(options);

  EventStream first(s.port(), s.with_token("/events"));
  CHECK(first.status() == 200);
  CHECK(first.content_type() == "text/event-stream");
  Json state = first.next_state();
  CHECK(state.get_string("phase") == "up_to_date");
  CHECK(state.get_string("running_version") == "1.0.0");
  CHECK(state.get_string("app_name") == "Test <App>");

  s.model.set(Json::parse(R"({"phase":"staged","version":"2.0.0","notes":"# New\n<script>x</script>"})"));
  state = first.next_state();
  CHECK(state.get_string("phase") == "staged");
  CHECK(state.get_string("notes_html") == "<h3>New</h3>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n");
  CHECK(first.next(": ") == "keep-alive");

  EventStream second(s.port(), s.with_token("/events"));
  CHECK(second.status() == 200);
  EventStream third(s.port(), s.with_token("/events"));
  CHECK(third.status() == 503);

  // A client that goes away frees its stream within a moment.
  first.close();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    EventStream again(s.port(), s.with_token("/events"));
    status = again.status();
    if (status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the server looks up every 250 ms
  }
  CHECK(status == 200);
}

TEST_CASE("stop() ends open event streams and returns promptly", "[webui]") {
  Served s;
  EventStream stream(s.port(), s.with_token("/events"));
  stream.next_state();
  const auto start = std::chrono::steady_clock::now();
  s.server.stop();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK_THROWS(stream.next_state());  // the stream ended
  CHECK_THROWS_AS(request(s.port(), "GET", s.with_token("/")), Poco::Net::NetException);
}

TEST_CASE("the web UI on the app's own socket: the app keeps its descriptor, a given token keeps the URL", "[webui]") {
  const int fd = test::listen_on_loopback();
  const std::string token = "feedfacefeedfacefeedfacefeedface";
  uint16_t port = 0;
  {
    WebUiServer::Options options;
    options.listen_fd = fd;
    options.token = token;
    Served s(options);
    port = s.port();
    CHECK(s.server.url() == "http://127.0.0.1:" + std::to_string(port) + "/?token=" + token);
    CHECK(request(port, "GET", "/?token=" + token).status == 200);
  }
  CHECK(fcntl(fd, F_GETFD) >= 0);  // still the app's, to hand over
  {
    WebUiServer::Options options;  // the next version, started on the same socket
    options.listen_fd = fd;
    options.token = token;
    Served s(options);
    CHECK(s.port() == port);
    CHECK(request(port, "GET", "/?token=" + token).status == 200);
  }
  ::close(fd);

  ScriptedModel model(Served::initial(), [](WebUiAction) {});
  SECTION("a socket that listens on every address is refused") {
    Poco::Net::ServerSocket any(Poco::Net::SocketAddress("0.0.0.0", 0));
    WebUiServer::Options options;
    options.listen_fd = any.impl()->sockfd();
    WebUiServer server(model, options);
    CHECK_THROWS_AS(server.start(), Error);
  }
  SECTION("a given token that is too short is refused") {
    WebUiServer::Options options;
    options.token = "short";
    WebUiServer server(model, options);
    CHECK_THROWS_AS(server.start(), Error);
  }
}

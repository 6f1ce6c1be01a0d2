// The web UI of mainapp as a test sees it (mainapp_ui_test.cpp,
// mainapp_notification_test.cpp): its URL's parts, a page's event stream,
// a GET's status, a button's POST.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <limits>

#include "mainapp_fixture.h"
#include "upkeep/base/json.h"

namespace upkeep::test {

// "http://127.0.0.1:PORT/?token=T" -> PORT.
inline int port_of(const std::string& url) {
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
  return std::stoi(url.substr(17));
}

inline std::string target_of(const std::string& url) { return url.substr(url.find('/', 7)); }

// A line "web UI: URL" in `out`; "" when none.
inline std::string url_in(const std::string& out) {
  size_t at = out.find("web UI: ");
  return at == std::string::npos ? "" : out.substr(at + 8, out.find('\n', at) - at - 8);
}

// An open page: GET /events with the token. first_state() reads the state
// event the server sends at connect ("" when none comes within 10 s); the
// stream stays open (a page showing the app) until the object goes.
class EventStream {
 public:
  EventStream(int port, const std::string& token) {
    socket_.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<uint16_t>(port)), Poco::Timespan(10, 0));
    socket_.setReceiveTimeout(Poco::Timespan(10, 0));
    std::string req = "GET /events?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nAccept: text/event-stream\r\n\r\n";
    socket_.sendBytes(req.data(), static_cast<int>(req.size()));
  }
  std::string first_state() { return next_state(); }
  // The next state event's JSON, in order ("" when none comes within 10 s).
  std::string next_state() {
    char buf[4096];
    size_t data;
    while ((data = got_.find("data: ")) == std::string::npos || got_.find("\n\n", data) == std::string::npos) {
      int n = socket_.receiveBytes(buf, sizeof buf);
      if (n <= 0) return "";
      got_.append(buf, static_cast<size_t>(n));
    }
    std::string json = got_.substr(data + 6, got_.find('\n', data) - data - 6);
    got_.erase(0, got_.find("\n\n", data) + 2);
    return json;
  }

 private:
  Poco::Net::StreamSocket socket_;
  std::string got_;
};

// The status of GET `target` on 127.0.0.1:`port` (0: no answer).
inline int status_of(int port, const std::string& target) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, target, Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    body.ignore(std::numeric_limits<std::streamsize>::max());
    return static_cast<int>(response.getStatus());
  } catch (const Poco::Exception&) {
    return 0;
  }
}

inline std::string token_of(const std::string& url) { return url.substr(url.find("token=") + 6); }

// The running version the web UI at `url` shows (its first state event).
inline std::string version_shown(const std::string& url) {
  EventStream events(port_of(url), token_of(url));
  auto j = upkeep::Json::parse(events.first_state(), "state event");
  return j.get_string("running_version");
}

// Clicks a button of the page: POST /action/NAME (restart, later, skip, check), as the page sends it; the status.
inline int act(const std::string& url, const std::string& name) {
  try {
    int port = port_of(url);
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/action/" + name,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("X-Upkeep-Token", token_of(url));
    request.set("Origin", "http://127.0.0.1:" + std::to_string(port));
    request.setContentLength(0);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response).ignore(std::numeric_limits<std::streamsize>::max());
    return static_cast<int>(response.getStatus());
  } catch (const Poco::Exception&) {
    return 0;
  }
}

}  // namespace upkeep::test

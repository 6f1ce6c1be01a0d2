// ScriptedServer: a real HTTP server on 127.0.0.1 whose replies a test
// scripts, for the net tests (http_fetcher_test.cpp, http_fetcher_credentials_test.cpp).
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <functional>
#include <string>

namespace upkeep::test {

using Handler = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;

// A real HTTP server on 127.0.0.1 whose replies the test scripts: for the
// misbehaving servers RepoServer must never be (ignoring Range, stalling...).
class ScriptedServer {
 public:
  explicit ScriptedServer(Handler handler, const Poco::Net::ServerSocket& socket =
                                               Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)))
      : server_(new Factory(std::move(handler)), socket, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~ScriptedServer() { server_.stopAll(true); }
  uint16_t port() const { return server_.port(); }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }

 private:
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    struct Call : Poco::Net::HTTPRequestHandler {
      explicit Call(const Handler& h) : h(h) {}
      void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
        h(req, resp);
      }
      const Handler& h;
    };
    explicit Factory(Handler h) : handler(std::move(h)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Call(handler);
    }
    Handler handler;
  };
  Poco::Net::HTTPServer server_;
};

}  // namespace upkeep::test

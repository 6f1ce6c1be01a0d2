// RequestGuard: the web UI's access rules, one decision per request
// (docs/web-ui.md "Security"). A request is refused (403) unless
//  - its Host is exactly 127.0.0.1:<port> or localhost:<port> (a DNS
//    rebinding page reaches us under its own host name);
//  - it carries the token: the query's `token` on GET (the page, its
//    resources, the event stream), the X-Upkeep-Token header on POST;
//  - an Origin, when sent, is the server's own ("http://" + Host), and a
//    POST sends one (a foreign page's form or fetch carries its own origin).
// An immutable value: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "upkeep/webui/access_token.h"

namespace upkeep::webui {

// What the guard looks at; the server fills it from the HTTP request.
struct RequestFacts {
  std::string method;                 // "GET", "POST", ...
  std::string host;                   // the Host header ("" when missing)
  std::optional<std::string> origin;  // the Origin header, when sent
  std::optional<std::string> query_token;
  std::optional<std::string> header_token;  // X-Upkeep-Token
};

class RequestGuard {
 public:
  static constexpr const char* kTokenHeader = "X-Upkeep-Token";

  RequestGuard(AccessToken token, uint16_t port) : token_(std::move(token)), port_(port) {}

  // nullopt when the request may proceed; otherwise why it is refused (for the log, never for the client).
  std::optional<std::string> refusal(const RequestFacts& request) const;
  bool host_allowed(const std::string& host) const;

 private:
  AccessToken token_;
  uint16_t port_;
};

}  // namespace upkeep::webui

#include "upkeep/webui/request_guard.h"

#include <algorithm>
#include <cctype>

namespace upkeep::webui {

namespace {

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

bool RequestGuard::host_allowed(const std::string& host) const {
  const std::string port = ":" + std::to_string(port_);
  const std::string h = lowercase(host);
  return h == "127.0.0.1" + port || h == "localhost" + port;
}

std::optional<std::string> RequestGuard::refusal(const RequestFacts& request) const {
  if (!host_allowed(request.host)) return "Host '" + request.host + "' is not this server's";
  const bool post = request.method == "POST";
  const auto& token = post ? request.header_token : request.query_token;
  if (!token) return post ? "no X-Upkeep-Token header" : "no token in the query";
  if (!token_.matches(*token)) return "a wrong token";
  if (request.origin && lowercase(*request.origin) != "http://" + lowercase(request.host))
    return "Origin '" + *request.origin + "' is foreign";
  if (post && !request.origin) return "a POST without an Origin";
  return std::nullopt;
}

}  // namespace upkeep::webui

#include "upkeep/webui/request_guard.h"

#include <catch2/catch.hpp>
#include <set>

#include "upkeep/base/error.h"
#include "upkeep/webui/access_token.h"

using namespace upkeep::webui;

namespace {

const std::string kToken = "0123456789abcdef0123456789abcdef";

RequestFacts get(std::string host, std::optional<std::string> token = kToken) {
  RequestFacts f;
  f.method = "GET";
  f.host = std::move(host);
  f.query_token = std::move(token);
  return f;
}

RequestFacts post(std::string host, std::optional<std::string> origin, std::optional<std::string> token = kToken) {
  RequestFacts f;
  f.method = "POST";
  f.host = std::move(host);
  f.origin = std::move(origin);
  f.header_token = std::move(token);
  return f;
}

}  // namespace

TEST_CASE("a fresh token is 128 random bits in hex, never the same twice", "[webui]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    AccessToken t = AccessToken::generate();
    CHECK(t.text().size() == 32);
    CHECK(t.text().find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(t.matches(t.text()));
    seen.insert(t.text());
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("a given token must be long and URL-safe", "[webui]") {
  CHECK(AccessToken::from(kToken).matches(kToken));
  CHECK(AccessToken::from(std::string(128, 'Z')).text().size() == 128);
  for (std::string bad : {std::string(), std::string(31, 'a'), std::string(129, 'a'), kToken + "&x=1", kToken + " ",
                          std::string(32, '%')}) {
    INFO(bad);
    CHECK_THROWS_AS(AccessToken::from(bad), upkeep::Error);
  }
  AccessToken t = AccessToken::from(kToken);
  CHECK_FALSE(t.matches(""));
  CHECK_FALSE(t.matches(kToken.substr(1)));
  CHECK_FALSE(t.matches(kToken + "0"));
  CHECK_FALSE(t.matches("1" + kToken.substr(1)));
}

TEST_CASE("the guard: Host, token and Origin", "[webui]") {
  RequestGuard guard(AccessToken::from(kToken), 8123);

  SECTION("a page load and an event stream from the page") {
    CHECK_FALSE(guard.refusal(get("127.0.0.1:8123")));
    CHECK_FALSE(guard.refusal(get("localhost:8123")));
    CHECK_FALSE(guard.refusal(get("LocalHost:8123")));
    auto same_origin = get("127.0.0.1:8123");
    same_origin.origin = "http://127.0.0.1:8123";
    CHECK_FALSE(guard.refusal(same_origin));
  }
  SECTION("DNS rebinding and other ports: the Host is not ours") {
    for (std::string host : {"evil.example:8123", "127.0.0.1", "127.0.0.1:8124", "localhost", "127.0.0.1:8123.evil", "",
                             "[::1]:8123", "127.0.0.2:8123", "localhost.:8123"}) {
      INFO(host);
      CHECK(guard.refusal(get(host)));
      CHECK(guard.refusal(post(host, "http://" + host)));
    }
  }
  SECTION("a missing or wrong token") {
    CHECK(guard.refusal(get("127.0.0.1:8123", std::nullopt)));
    CHECK(guard.refusal(get("127.0.0.1:8123", "")));
    CHECK(guard.refusal(get("127.0.0.1:8123", kToken.substr(0, 31) + "0")));
    // On a POST only the header counts.
    auto in_query = post("127.0.0.1:8123", "http://127.0.0.1:8123", std::nullopt);
    in_query.query_token = kToken;
    CHECK(guard.refusal(in_query));
  }
  SECTION("a POST must come from our own origin") {
    CHECK_FALSE(guard.refusal(post("127.0.0.1:8123", "http://127.0.0.1:8123")));
    CHECK_FALSE(guard.refusal(post("localhost:8123", "http://localhost:8123")));
    CHECK(guard.refusal(post("127.0.0.1:8123", std::nullopt)));
    CHECK(guard.refusal(post("127.0.0.1:8123", "null")));
    CHECK(guard.refusal(post("127.0.0.1:8123", "http://evil.example")));
    CHECK(guard.refusal(post("127.0.0.1:8123", "http://localhost:8123")));  // the Host said 127.0.0.1
    CHECK(guard.refusal(post("127.0.0.1:8123", "https://127.0.0.1:8123")));
  }
  SECTION("an event stream opened by a foreign page") {
    auto foreign = get("127.0.0.1:8123");
    foreign.origin = "http://evil.example";
    CHECK(guard.refusal(foreign));
  }
}

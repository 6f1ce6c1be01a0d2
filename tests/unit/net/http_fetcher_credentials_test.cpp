// HttpFetcher with credentials (credential_store.h): the header goes only to
// the origin it was given for, 401/403 are Error(kCredentials) and never retried.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <vector>

#include "scripted_server.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/net/http_fetcher.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::net::CredentialStore;
using upkeep::net::FetchOptions;
using upkeep::net::HttpFetcher;
using upkeep::test::ScriptedServer;

namespace {

FetchOptions with(const std::string& json) {
  FetchOptions o;
  o.credentials = std::make_shared<const CredentialStore>(CredentialStore::parse(json, "creds.json"));
  return o;
}

// A server that records the Authorization header of every request ("" when none) and answers `status`.
struct Recorder {
  explicit Recorder(int status) : status(status) {}
  int status;
  std::mutex mutex;
  std::vector<std::string> seen;
  ScriptedServer server{[this](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(req.get("Authorization", ""));
    }
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    resp.sendBuffer("ok", status == 200 ? 2 : 0);
  }};
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex);
    return seen;
  }
};

Error error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no error");
  return Error(ErrorCode::kOk, "");
}

}  // namespace

TEST_CASE("http credentials: basic and bearer go to their prefix only", "[net][credentials]") {
  Recorder server(200);
  const std::string base = server.server.url("/");
  HttpFetcher fetcher(with("{\"" + base + "repo/\": {\"basic\": {\"user\": \"u\", \"password\": \"p\"}}, \"" + base +
                           "repo/private/\": {\"bearer\": \"tok\"}}"));
  CHECK(fetcher.get(base + "repo/metadata/timestamp.json", 100) == "ok");
  CHECK(fetcher.get(base + "repo/private/x", 100) == "ok");
  CHECK(fetcher.get(base + "other/x", 100) == "ok");
  CHECK(server.requests() == std::vector<std::string>{"Basic dTpw", "Bearer tok", ""});
}

TEST_CASE("http credentials: 401 and 403 are kCredentials, asked once, saying why", "[net][credentials]") {
  for (int status : {401, 403}) {
    Recorder server(status);
    const std::string url = server.server.url("/repo/metadata/timestamp.json");
    Error none = error_of([&] { HttpFetcher().get(url, 100); });
    CHECK(none.code() == ErrorCode::kCredentials);
    CHECK(std::string(none.what()) == "refused: credentials: " + url + " answered " + std::to_string(status) +
                                          (status == 401 ? " Unauthorized" : " Forbidden") +
                                          " (no credentials are configured for it)");
    HttpFetcher with_credentials(with("{\"" + server.server.url("/") + "\": {\"bearer\": \"s3cret-tok\"}}"));
    Error refused = error_of([&] { with_credentials.get_if_exists(url, 100); });
    CHECK(refused.code() == ErrorCode::kCredentials);
    CHECK(std::string(refused.what()).find("(the credentials configured for it were refused)") != std::string::npos);
    CHECK(std::string(refused.what()).find("s3cret") == std::string::npos);
    upkeep::test::TempDir dir;
    Error download = error_of([&] { with_credentials.download(url, dir / "a.zip", 10, "00", nullptr); });
    CHECK(download.code() == ErrorCode::kCredentials);
    CHECK(server.requests().size() == 3);  // one request each: never retried
  }
}

TEST_CASE("http credentials: a redirect to another origin drops the header", "[net][credentials]") {
  Recorder other(200);  // another port: another origin
  ScriptedServer origin([&](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
    if (req.get("Authorization", "") != "Bearer tok") {
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_UNAUTHORIZED);
      resp.send();
      return;
    }
    resp.redirect(other.server.url(req.getURI()));
  });
  HttpFetcher fetcher(with("{\"" + origin.url("/") + "\": {\"bearer\": \"tok\"}}"));
  CHECK(fetcher.get(origin.url("/repo/targets/a.zip"), 100) == "ok");
  CHECK(other.requests() == std::vector<std::string>{""});
}

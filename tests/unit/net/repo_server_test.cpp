#include "upkeep/net/repo_server.h"

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "test_support.h"
#include "upkeep/base/error.h"

using upkeep::Error;
using upkeep::ErrorCode;
namespace net = upkeep::net;
using upkeep::net::RepoServer;
using upkeep::test::TempDir;
using upkeep::test::write_text;

namespace {

struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Sends a request exactly as written (clients would normalise "../") and
// reads the reply until the server closes the connection.
RawResponse raw_request(uint16_t port, const std::string& method, const std::string& target,
                        const std::string& extra_headers = "") {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  socket.setReceiveTimeout(Poco::Timespan(10, 0));
  const std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra_headers + "\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string data;
  char buf[8192];
  for (int n; (n = socket.receiveBytes(buf, sizeof buf)) > 0;) data.append(buf, static_cast<size_t>(n));
  RawResponse r;
  const size_t end = data.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  std::istringstream head(data.substr(0, end));
  std::string line;
  std::getline(head, line);
  REQUIRE(line.rfind("HTTP/1.1 ", 0) == 0);
  r.status = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
  }
  r.body = data.substr(end + 4);
  return r;
}

RawResponse get(uint16_t port, const std::string& target, const std::string& extra = "") {
  return raw_request(port, "GET", target, extra);
}

const std::string kSecret = "top secret outside the repository";
const std::string kDigits = "0123456789abcdefghij";  // 20 bytes

// A repository below dir/repo and a secret file beside it.
struct Fixture {
  TempDir dir;
  net::RepoServer server;
  Fixture() : server(dir / "repo") {
    write_text(dir / "secret.txt", kSecret);
    write_text(dir / "repo/metadata/timestamp.json", "{\"signed\":{}}");
    write_text(dir / "repo/metadata/root.json", "{\"root\":1}");
    write_text(dir / "repo/metadata/1.root.json", "{\"root\":1}");
    write_text(dir / ("repo/targets/app/" + std::string(64, 'a') + ".package.zip"), "PK-zip-bytes");
    write_text(dir / "repo/targets/app/data.bin", kDigits);
    server.start();
  }
};

}  // namespace

TEST_CASE("repo server answers GET and HEAD with length, type and caching headers", "[net]") {
  Fixture f;
  REQUIRE(f.server.port() != 0);

  RawResponse r = get(f.server.port(), "/metadata/timestamp.json");
  CHECK(r.status == 200);
  CHECK(r.body == "{\"signed\":{}}");
  CHECK(r.header("content-length") == "13");
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("accept-ranges") == "bytes");
  CHECK(r.header("cache-control") == "no-cache");
  CHECK(!r.header("last-modified").empty());
  CHECK(!r.header("etag").empty());

  RawResponse h = raw_request(f.server.port(), "HEAD", "/targets/app/data.bin");
  CHECK(h.status == 200);
  CHECK(h.header("content-length") == "20");
  CHECK(h.header("content-type") == "application/octet-stream");
  CHECK(h.body.empty());

  RawResponse zip = get(f.server.port(), "/targets/app/" + std::string(64, 'a') + ".package.zip");
  CHECK(zip.body == "PK-zip-bytes");
  CHECK(zip.header("content-type") == "application/zip");
}

TEST_CASE("repo server marks consistent-snapshot names immutable and the rest no-cache", "[net]") {
  Fixture f;
  CHECK(get(f.server.port(), "/metadata/1.root.json").header("cache-control") == "public, max-age=31536000, immutable");
  CHECK(get(f.server.port(), "/targets/app/" + std::string(64, 'a') + ".package.zip").header("cache-control") ==
        "public, max-age=31536000, immutable");
  CHECK(get(f.server.port(), "/metadata/root.json").header("cache-control") == "no-cache");
  CHECK(get(f.server.port(), "/metadata/timestamp.json").header("cache-control") == "no-cache");
  // Delta blobs and patches are named by content.
  const std::string blob = "/repo/targets/app/blobs/" + std::string(64, 'b') + ".zst";
  const std::string patch = "/repo/targets/app/patches/" + std::string(64, 'a') + "-" + std::string(64, 'b') + ".zstd";
  const std::string not_patch = "/repo/targets/app/patches/" + std::string(64, 'a') + "-x.zstd";
  for (const auto& p : {blob, patch, not_patch}) write_text(f.dir / p.substr(1), "bytes");
  CHECK(get(f.server.port(), blob.substr(5)).header("cache-control") == "public, max-age=31536000, immutable");
  CHECK(get(f.server.port(), patch.substr(5)).header("cache-control") == "public, max-age=31536000, immutable");
  CHECK(get(f.server.port(), not_patch.substr(5)).header("cache-control") == "no-cache");
}

TEST_CASE("repo server gives 404 for missing files and directories, 405 for other methods", "[net]") {
  Fixture f;
  CHECK(get(f.server.port(), "/metadata/nope.json").status == 404);
  RawResponse dir = get(f.server.port(), "/metadata/");
  CHECK(dir.status == 404);
  CHECK(dir.body.find("timestamp.json") == std::string::npos);  // never a listing
  CHECK(get(f.server.port(), "/").status == 404);
  RawResponse post = raw_request(f.server.port(), "POST", "/metadata/root.json", "Content-Length: 0\r\n");
  CHECK(post.status == 405);
  CHECK(post.header("allow") == "GET, HEAD");
  CHECK(raw_request(f.server.port(), "DELETE", "/metadata/root.json").status == 405);
}

TEST_CASE("repo server refuses every path that escapes the root", "[net]") {
  Fixture f;
  upkeep::test::stdfs::create_symlink(f.dir / "secret.txt", f.dir / "repo/metadata/link.json");
  upkeep::test::stdfs::create_directory_symlink(f.dir.path(), f.dir / "repo/up");
  const std::vector<std::string> attacks = {
      "/../secret.txt",
      "/metadata/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/metadata/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/..%5csecret.txt",
      "/metadata%5c..%5c..%5csecret.txt",
      "/metadata/root.json%00.txt",
      "/metadata/link.json",
      "/up/secret.txt",
      "/./metadata/root.json",
      "http://127.0.0.1/../secret.txt",
      "/%zz",
  };
  for (const auto& target : attacks) {
    INFO(target);
    RawResponse r = get(f.server.port(), target);
    CHECK((r.status == 400 || r.status == 404));
    CHECK(r.body.find(kSecret) == std::string::npos);
  }
  // Symlinks that stay inside the root and plain escapes of ordinary names still work.
  upkeep::test::stdfs::create_symlink(f.dir / "repo/metadata/root.json", f.dir / "repo/metadata/inside.json");
  CHECK(get(f.server.port(), "/metadata/inside.json").body == "{\"root\":1}");
  CHECK(get(f.server.port(), "/metadata/%72oot.json?x=1").body == "{\"root\":1}");
}

TEST_CASE("repo server answers If-None-Match with 304 for the current ETag only", "[net]") {
  Fixture f;
  RawResponse first = get(f.server.port(), "/metadata/root.json");
  const std::string etag = first.header("etag");
  REQUIRE(etag.size() > 2);
  CHECK(etag.front() == '"');
  RawResponse again = get(f.server.port(), "/metadata/root.json", "If-None-Match: " + etag + "\r\n");
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.header("etag") == etag);
  CHECK(get(f.server.port(), "/metadata/root.json", "If-None-Match: \"other\", W/" + etag + "\r\n").status == 304);
  CHECK(get(f.server.port(), "/metadata/root.json", "If-None-Match: \"other\"\r\n").status == 200);

  write_text(f.dir / "repo/metadata/root.json", "{\"root\":22}");  // new size: new tag
  RawResponse changed = get(f.server.port(), "/metadata/root.json", "If-None-Match: " + etag + "\r\n");
  CHECK(changed.status == 200);
  CHECK(changed.body == "{\"root\":22}");
  CHECK(changed.header("etag") != etag);
}

TEST_CASE("repo server serves single byte ranges and refuses unsatisfiable ones", "[net]") {
  Fixture f;
  const uint16_t port = f.server.port();
  const std::string file = "/targets/app/data.bin";

  RawResponse mid = get(port, file, "Range: bytes=2-5\r\n");
  CHECK(mid.status == 206);
  CHECK(mid.body == "2345");
  CHECK(mid.header("content-range") == "bytes 2-5/20");
  CHECK(mid.header("content-length") == "4");

  RawResponse open_end = get(port, file, "Range: bytes=15-\r\n");
  CHECK(open_end.status == 206);
  CHECK(open_end.body == "fghij");
  CHECK(open_end.header("content-range") == "bytes 15-19/20");

  RawResponse suffix = get(port, file, "Range: bytes=-3\r\n");
  CHECK(suffix.status == 206);
  CHECK(suffix.body == "hij");
  CHECK(suffix.header("content-range") == "bytes 17-19/20");

  RawResponse clamped = get(port, file, "Range: bytes=18-99\r\n");
  CHECK(clamped.status == 206);
  CHECK(clamped.body == "ij");

  RawResponse beyond = get(port, file, "Range: bytes=20-\r\n");
  CHECK(beyond.status == 416);
  CHECK(beyond.header("content-range") == "bytes */20");

  RawResponse multi = get(port, file, "Range: bytes=0-1,4-5\r\n");
  CHECK(multi.status == 200);
  CHECK(multi.body == kDigits);
}

TEST_CASE("repo server drops the connection after N body bytes when asked (test aid)", "[net]") {
  Fixture f;
  f.server.set_drop_after_bytes(7);
  RawResponse cut = get(f.server.port(), "/targets/app/data.bin");
  CHECK(cut.status == 200);
  CHECK(cut.header("content-length") == "20");
  CHECK(cut.body == kDigits.substr(0, 7));
  CHECK(get(f.server.port(), "/targets/app/data.bin").body == kDigits);  // next response is whole again
}

TEST_CASE("repo server start fails clearly for a missing root and stops cleanly", "[net]") {
  TempDir dir;
  net::RepoServer missing(dir / "nope");
  try {
    missing.start();
    FAIL("start() should have thrown");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(std::string(e.what()).find("nope") != std::string::npos);
  }

  write_text(dir / "repo/metadata/root.json", "{}");
  net::RepoServer server(dir / "repo");
  server.start();
  const uint16_t port = server.port();
  CHECK(get(port, "/metadata/root.json").status == 200);
  server.stop();
  server.stop();  // idempotent
  CHECK_THROWS(Poco::Net::StreamSocket(Poco::Net::SocketAddress("127.0.0.1", port)));
}

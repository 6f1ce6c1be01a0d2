#include "upkeep/net/http_fetcher.h"

#include <Poco/Event.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <functional>
#include <vector>

#include "scripted_server.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/net/repo_server.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::net::DownloadProgress;
namespace net = upkeep::net;
using upkeep::net::FetchOptions;
using upkeep::net::HttpFetcher;
using upkeep::net::RepoServer;
using upkeep::test::read_text;
using upkeep::test::ScriptedServer;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

// Deterministic, non-repeating-ish test content.
std::string make_content(size_t size) {
  std::string s(size, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = static_cast<char>(x & 0xff);
  }
  return s;
}

struct Repo {
  TempDir dir;
  net::RepoServer server;
  std::string content = make_content(1024 * 1024 + 123);
  std::string sha = upkeep::sha256_hex(content);
  Repo() : server(dir / "repo") {
    write_text(dir / "repo/targets/app.zip", content);
    write_text(dir / "repo/metadata/timestamp.json", "{\"version\":7}");
    server.start();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server.port()) + path; }
};

struct RecordingProgress : net::DownloadProgress {
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  void on_progress(uint64_t done, uint64_t total) override { calls.emplace_back(done, total); }
};

template <typename Fn>
Error error_from(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected an upkeep::Error");
  return Error(ErrorCode::kOk, "");
}

// Writes a fresh self-signed certificate (P-256, SHA-256) for `host` and its key as PEM files.
void make_certificate(const stdfs::path& cert, const stdfs::path& key, const std::string& host) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  REQUIRE(pkey);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  const std::string san = (std::isdigit(static_cast<unsigned char>(host[0])) ? "IP:" : "DNS:") + host;
  for (auto [nid, value] :
       {std::pair{NID_subject_alt_name, san.c_str()}, {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
  BIO* c = BIO_new_file(cert.c_str(), "w");
  BIO* k = BIO_new_file(key.c_str(), "w");
  REQUIRE((c && k));
  PEM_write_bio_X509(c, x);
  PEM_write_bio_PrivateKey(k, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(c);
  BIO_free(k);
  X509_free(x);
  EVP_PKEY_free(pkey);
}

Poco::Net::SecureServerSocket tls_socket(const stdfs::path& cert, const stdfs::path& key) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::SERVER_USE, key.string(), cert.string(),
                                                           "", Poco::Net::Context::VERIFY_NONE);
  return Poco::Net::SecureServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, context);
}

uint16_t closed_port() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  uint16_t port = s.address().port();
  s.close();
  return port;
}

}  // namespace

TEST_CASE("fetcher gets small resources over http and file://", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  CHECK(fetcher.get(repo.url("/metadata/timestamp.json"), 1024) == "{\"version\":7}");
  CHECK(fetcher.get("file://" + (repo.dir / "repo/metadata/timestamp.json").string(), 1024) == "{\"version\":7}");

  CHECK_FALSE(fetcher.get_if_exists(repo.url("/metadata/1.root.json"), 1024).has_value());
  CHECK_FALSE(fetcher.get_if_exists("file://" + (repo.dir / "nope.json").string(), 1024).has_value());
  Error e = error_from([&] { fetcher.get(repo.url("/metadata/1.root.json"), 1024); });
  CHECK(e.code() == ErrorCode::kNetwork);
  CHECK(std::string(e.what()) == repo.url("/metadata/1.root.json") + ": HTTP 404 Not Found");
  CHECK(error_from([&] { fetcher.get("ftp://example.com/x", 10); }).code() == ErrorCode::kUsage);
}

TEST_CASE("fetcher stops at max_bytes whatever the server announces", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  const std::string url = repo.url("/targets/app.zip");
  Error e = error_from([&] { fetcher.get(url, 1000); });
  CHECK(e.code() == ErrorCode::kVerification);
  CHECK(std::string(e.what()) == url + ": more than 1000 bytes");
  CHECK(error_from([&] { fetcher.get("file://" + (repo.dir / "repo/targets/app.zip").string(), 1000); }).code() ==
        ErrorCode::kVerification);

  // An endless chunked body (no Content-Length): reading stops at the limit.
  std::atomic<uint64_t> sent{0};
  ScriptedServer endless([&](auto&, auto& resp) {
    resp.setChunkedTransferEncoding(true);
    std::ostream& out = resp.send();
    const std::string block(4096, 'x');
    while (out && sent < (64u << 20)) {
      out << block;
      sent += block.size();
    }
  });
  Error e2 = error_from([&] { fetcher.get(endless.url("/forever"), 10000); });
  CHECK(e2.code() == ErrorCode::kVerification);
  CHECK(std::string(e2.what()).find("more than 10000 bytes") != std::string::npos);
  CHECK(fetcher.get(repo.url("/metadata/timestamp.json"), 13) == "{\"version\":7}");  // exactly at the limit is fine
}

TEST_CASE("fetcher reports HTTP errors, refused connections and stalls as network errors", "[net]") {
  ScriptedServer busy([](auto&, auto& resp) {
    resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
    resp.send() << "later";
  });
  net::HttpFetcher fetcher;
  Error e = error_from([&] { fetcher.get(busy.url("/x.json"), 100); });
  CHECK(e.code() == ErrorCode::kNetwork);
  CHECK(std::string(e.what()) == busy.url("/x.json") + ": HTTP 503 Service Unavailable");
  CHECK(error_from([&] { fetcher.get_if_exists(busy.url("/x.json"), 100); }).code() == ErrorCode::kNetwork);

  const std::string refused = "http://127.0.0.1:" + std::to_string(closed_port()) + "/x";
  Error r = error_from([&] { fetcher.get(refused, 100); });
  CHECK(r.code() == ErrorCode::kNetwork);
  CHECK(std::string(r.what()).find(refused) == 0);

  // A server that sends half a body and then goes quiet until the client gave up.
  Poco::Event client_gave_up;
  ScriptedServer stalling([&](auto&, auto& resp) {
    resp.setContentLength(100);
    resp.send() << std::string(50, 'y') << std::flush;
    client_gave_up.tryWait(10000);
  });
  net::HttpFetcher impatient(net::FetchOptions{.connect_timeout = std::chrono::milliseconds(2000),
                                               .stall_timeout = std::chrono::milliseconds(200),
                                               .proxy = ""});
  TempDir dir;
  Error s =
      error_from([&] { impatient.download(stalling.url("/big"), dir / "big", 100, std::string(64, '0'), nullptr); });
  client_gave_up.set();
  CHECK(s.code() == ErrorCode::kNetwork);
  CHECK(std::string(s.what()).find("timed out") != std::string::npos);
  CHECK(stdfs::file_size(dir / "big.part") == 50);  // kept for the next attempt
}

TEST_CASE("fetcher follows redirects up to five, and uses a configured or environment proxy", "[net]") {
  Repo repo;
  ScriptedServer redirector([&](auto& req, auto& resp) {
    if (req.getURI() == "/loop") {
      resp.redirect("/loop", Poco::Net::HTTPResponse::HTTP_FOUND);
    } else {
      resp.redirect(repo.url("/metadata/timestamp.json"), Poco::Net::HTTPResponse::HTTP_MOVED_PERMANENTLY);
    }
  });
  net::HttpFetcher fetcher;
  CHECK(fetcher.get(redirector.url("/moved"), 100) == "{\"version\":7}");
  Error e = error_from([&] { fetcher.get(redirector.url("/loop"), 100); });
  CHECK(e.code() == ErrorCode::kNetwork);
  CHECK(std::string(e.what()).find("more than 5 redirects") != std::string::npos);

  // A proxy receives the absolute URL of the target.
  std::string seen;
  ScriptedServer proxy([&](auto& req, auto& resp) {
    seen = req.getURI();
    resp.send() << "via proxy";
  });
  net::HttpFetcher proxied(net::FetchOptions{.proxy = "http://127.0.0.1:" + std::to_string(proxy.port())});
  CHECK(proxied.get("http://repo.example.invalid/metadata/timestamp.json", 100) == "via proxy");
  CHECK(seen.rfind("http://repo.example.invalid", 0) == 0);  // absolute form, maybe with ":80"
  CHECK(seen.ends_with("/metadata/timestamp.json"));

  seen.clear();
  ::setenv("http_proxy", ("127.0.0.1:" + std::to_string(proxy.port())).c_str(), 1);
  ::setenv("no_proxy", "localhost, .corp.example", 1);
  CHECK(fetcher.get("http://repo.example.invalid/x.json", 100) == "via proxy");
  CHECK(seen.rfind("http://repo.example.invalid", 0) == 0);
  CHECK(seen.ends_with("/x.json"));
  ::setenv("no_proxy", "localhost,127.0.0.1", 1);
  CHECK(fetcher.get(repo.url("/metadata/timestamp.json"), 100) == "{\"version\":7}");  // bypassed
  // Managed policy's "direct": the environment's proxy is not used, even without no_proxy.
  ::unsetenv("no_proxy");
  seen.clear();
  net::HttpFetcher direct(net::FetchOptions{.proxy = upkeep::net::kDirectProxy});
  CHECK(direct.get(repo.url("/metadata/timestamp.json"), 100) == "{\"version\":7}");
  CHECK(seen.empty());
  CHECK(fetcher.get(repo.url("/metadata/timestamp.json"), 100) == "via proxy");  // without "direct", it is
  ::unsetenv("http_proxy");
  ::unsetenv("no_proxy");
}

TEST_CASE("download writes the verified file and reports progress", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  TempDir out;
  RecordingProgress progress;
  const uint64_t size = repo.content.size();
  auto result = fetcher.download(repo.url("/targets/app.zip"), out / "dl/app.zip", size, repo.sha, &progress);
  CHECK(result.bytes_transferred == size);
  CHECK_FALSE(result.resumed);
  CHECK(read_text(out / "dl/app.zip") == repo.content);
  CHECK_FALSE(stdfs::exists(out / "dl/app.zip.part"));

  REQUIRE(progress.calls.size() >= 2);
  CHECK(progress.calls.size() <= size / (64 * 1024) + 1);
  CHECK(progress.calls.back() == std::make_pair(size, size));
  for (size_t i = 1; i < progress.calls.size(); ++i) {
    CHECK(progress.calls[i].first > progress.calls[i - 1].first);
    CHECK(progress.calls[i].second == size);
  }

  // file:// works the same way.
  auto local = fetcher.download("file://" + (repo.dir / "repo/targets/app.zip").string(), out / "local.zip", size,
                                repo.sha, nullptr);
  CHECK(local.bytes_transferred == size);
  CHECK(read_text(out / "local.zip") == repo.content);
}

TEST_CASE("download deletes the .part on a hash mismatch or a wrong length", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  TempDir out;
  const std::string url = repo.url("/targets/app.zip");
  const uint64_t size = repo.content.size();

  Error bad_hash = error_from([&] { fetcher.download(url, out / "a.zip", size, std::string(64, 'f'), nullptr); });
  CHECK(bad_hash.code() == ErrorCode::kVerification);
  CHECK(std::string(bad_hash.what()).find("SHA-256 mismatch") != std::string::npos);
  CHECK_FALSE(stdfs::exists(out / "a.zip.part"));
  CHECK_FALSE(stdfs::exists(out / "a.zip"));

  Error too_long = error_from([&] { fetcher.download(url, out / "b.zip", size - 1, repo.sha, nullptr); });
  CHECK(too_long.code() == ErrorCode::kVerification);
  CHECK(std::string(too_long.what()) == url + ": more than " + std::to_string(size - 1) + " bytes");
  CHECK_FALSE(stdfs::exists(out / "b.zip.part"));

  Error too_short = error_from([&] { fetcher.download(url, out / "c.zip", size + 1, repo.sha, nullptr); });
  CHECK(too_short.code() == ErrorCode::kVerification);
  CHECK_FALSE(stdfs::exists(out / "c.zip.part"));

  // Without a Content-Length the limit is enforced while streaming.
  ScriptedServer chunked([&](auto&, auto& resp) {
    resp.setChunkedTransferEncoding(true);
    resp.send() << repo.content;
  });
  Error streamed = error_from([&] { fetcher.download(chunked.url("/x"), out / "d.zip", 1000, repo.sha, nullptr); });
  CHECK(streamed.code() == ErrorCode::kVerification);
  CHECK_FALSE(stdfs::exists(out / "d.zip.part"));
}

TEST_CASE("download resumes after a dropped connection with a Range request", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  TempDir out;
  const std::string url = repo.url("/targets/app.zip");
  const uint64_t size = repo.content.size();

  repo.server.set_drop_after_bytes(size / 2);
  Error dropped = error_from([&] { fetcher.download(url, out / "app.zip", size, repo.sha, nullptr); });
  CHECK(dropped.code() == ErrorCode::kNetwork);
  CHECK(std::string(dropped.what()) ==
        url + ": connection closed after " + std::to_string(size / 2) + " of " + std::to_string(size) + " bytes");
  REQUIRE(stdfs::exists(out / "app.zip.part"));
  const uint64_t part_size = stdfs::file_size(out / "app.zip.part");
  CHECK(part_size == size / 2);
  CHECK_FALSE(stdfs::exists(out / "app.zip"));

  RecordingProgress progress;
  auto result = fetcher.download(url, out / "app.zip", size, repo.sha, &progress);
  CHECK(result.resumed);
  CHECK(result.bytes_transferred == size - part_size);
  CHECK(upkeep::hash_file_hex(out / "app.zip") == repo.sha);
  CHECK_FALSE(stdfs::exists(out / "app.zip.part"));
  REQUIRE_FALSE(progress.calls.empty());
  CHECK(progress.calls.front().first > part_size);
  CHECK(progress.calls.back().first == size);

  // file:// resumes from the same kind of .part.
  write_text(out / "local.zip.part", repo.content.substr(0, 1000));
  auto local = fetcher.download("file://" + (repo.dir / "repo/targets/app.zip").string(), out / "local.zip", size,
                                repo.sha, nullptr);
  CHECK(local.resumed);
  CHECK(local.bytes_transferred == size - 1000);
  CHECK(read_text(out / "local.zip") == repo.content);
}

TEST_CASE("download restarts cleanly when the server ignores Range", "[net]") {
  Repo repo;
  std::string range_seen;
  ScriptedServer plain([&](auto& req, auto& resp) {
    range_seen = req.get("Range", "");
    resp.setContentLength64(static_cast<Poco::Int64>(repo.content.size()));
    resp.send() << repo.content;
  });
  net::HttpFetcher fetcher;
  TempDir out;
  write_text(out / "app.zip.part", std::string(5000, 'Z'));  // stale bytes that must not survive
  auto result = fetcher.download(plain.url("/app.zip"), out / "app.zip", repo.content.size(), repo.sha, nullptr);
  CHECK(range_seen == "bytes=5000-");
  CHECK_FALSE(result.resumed);
  CHECK(result.bytes_transferred == repo.content.size());
  CHECK(read_text(out / "app.zip") == repo.content);
}

TEST_CASE("download discards an oversized .part and promotes a complete one without the network", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  TempDir out;
  const uint64_t size = repo.content.size();

  write_text(out / "big.zip.part", repo.content + "extra");
  auto big = fetcher.download(repo.url("/targets/app.zip"), out / "big.zip", size, repo.sha, nullptr);
  CHECK_FALSE(big.resumed);
  CHECK(big.bytes_transferred == size);
  CHECK(read_text(out / "big.zip") == repo.content);

  write_text(out / "done.zip.part", repo.content);
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(closed_port()) + "/app.zip";
  auto done = fetcher.download(nowhere, out / "done.zip", size, repo.sha, nullptr);
  CHECK(done.bytes_transferred == 0);
  CHECK(read_text(out / "done.zip") == repo.content);
  CHECK_FALSE(stdfs::exists(out / "done.zip.part"));
}

TEST_CASE("download turns a full disk into kNoSpace and removes the .part", "[net]") {
  Repo repo;
  net::HttpFetcher fetcher;
  TempDir out;
  // /dev/full fails every write with ENOSPC, exactly like a full file system.
  stdfs::create_symlink("/dev/full", out / "app.zip.part");
  Error e = error_from(
      [&] { fetcher.download(repo.url("/targets/app.zip"), out / "app.zip", repo.content.size(), repo.sha, nullptr); });
  CHECK(e.code() == ErrorCode::kNoSpace);
  CHECK_FALSE(stdfs::exists(stdfs::symlink_status(out / "app.zip.part")));
  CHECK_FALSE(stdfs::exists(out / "app.zip"));
}

TEST_CASE("fetcher verifies the server certificate and host name over https", "[net]") {
  TempDir dir;
  make_certificate(dir / "ip.pem", dir / "ip.key", "127.0.0.1");
  make_certificate(dir / "other.pem", dir / "other.key", "other.example");
  auto hello = [](auto& req, auto& resp) {
    if (req.getURI() == "/down")
      resp.redirect("http://127.0.0.1:1/x");  // https must never be downgraded to http
    else
      resp.send() << "hello over tls";
  };
  ScriptedServer right(hello, tls_socket(dir / "ip.pem", dir / "ip.key"));
  ScriptedServer wrong_name(hello, tls_socket(dir / "other.pem", dir / "other.key"));
  const std::string url = "https://127.0.0.1:" + std::to_string(right.port()) + "/x";

  // Not in the trusted store: refused.
  const char* saved = std::getenv("SSL_CERT_FILE");
  const std::string saved_value = saved ? saved : "";
  ::unsetenv("SSL_CERT_FILE");
  {
    net::HttpFetcher fetcher;
    Error e = error_from([&] { fetcher.get(url, 100); });
    CHECK(e.code() == ErrorCode::kNetwork);
    CHECK(std::string(e.what()).find(url) == 0);
    CHECK(std::string(e.what()).find("certificate verify failed") != std::string::npos);
  }

  // Trusted (through OpenSSL's SSL_CERT_FILE): accepted, unless the name does not match.
  write_text(dir / "trusted.pem", upkeep::test::read_text(dir / "ip.pem") + upkeep::test::read_text(dir / "other.pem"));
  ::setenv("SSL_CERT_FILE", (dir / "trusted.pem").c_str(), 1);
  {
    net::HttpFetcher fetcher;
    CHECK(fetcher.get(url, 100) == "hello over tls");
    Error down = error_from([&] { fetcher.get("https://127.0.0.1:" + std::to_string(right.port()) + "/down", 100); });
    CHECK(down.code() == ErrorCode::kNetwork);
    CHECK(std::string(down.what()).find("refusing redirect from https to http://127.0.0.1:1/x") != std::string::npos);
    Error e = error_from([&] { fetcher.get("https://127.0.0.1:" + std::to_string(wrong_name.port()) + "/x", 100); });
    CHECK(e.code() == ErrorCode::kNetwork);
    CHECK(std::string(e.what()).find("Unacceptable certificate from 127.0.0.1") != std::string::npos);
  }
  if (saved)
    ::setenv("SSL_CERT_FILE", saved_value.c_str(), 1);
  else
    ::unsetenv("SSL_CERT_FILE");
}

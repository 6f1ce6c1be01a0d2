#include "upkeep/net/credential_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "test_support.h"
#include "upkeep/base/error.h"

using namespace upkeep;
using namespace upkeep::test;
using net::CredentialStore;

namespace {

const char* kFile = R"({
  "https://repo.example.com/": {"basic": {"user": "everyone", "password": "pw-root"}},
  "https://repo.example.com/apps/demo": {"bearer": "tok-demo"},
  "http://repo.example.com:8080/": {"basic": {"user": "other", "password": "pw-8080"}},
  "sftp://files.example.com:2222/srv/repo/": {"ssh": {"user": "deploy", "key_file": "/k/id_ed25519"},
                                               "known_hosts": "/k/known_hosts"}
})";

stdfs::path write_secret(const TempDir& dir, const std::string& text, mode_t mode) {
  const stdfs::path f = dir / "credentials.json";
  write_text(f, text);
  REQUIRE(chmod(f.c_str(), mode) == 0);
  return f;
}

std::string error_of(const std::function<void()>& fn, ErrorCode want) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.code() == want);
    return e.what();
  }
  FAIL("no error thrown");
  return "";
}

}  // namespace

TEST_CASE("credentials: the longest prefix of the same origin wins, at a '/' boundary", "[credentials]") {
  const CredentialStore s = CredentialStore::parse(kFile, "creds.json");
  REQUIRE(s.find("https://repo.example.com/apps/demo/metadata/1.root.json"));
  CHECK(s.find("https://repo.example.com/apps/demo/metadata/1.root.json")->token == "tok-demo");
  CHECK(s.find("https://repo.example.com/apps/demo")->token == "tok-demo");
  CHECK(s.find("https://REPO.example.com:443/apps/demonstration/x")->password == "pw-root");  // not under /apps/demo
  CHECK(s.find("http://repo.example.com:8080/x")->password == "pw-8080");
  CHECK(s.find("http://repo.example.com/x") == nullptr);  // another port: another origin
  CHECK(s.find("https://repo.example.com:8443/x") == nullptr);
  CHECK(s.find("https://evil.example.com/apps/demo/x") == nullptr);
  CHECK(s.find("https://repo.example.com.evil.net/x") == nullptr);
  const auto* ssh = s.find("sftp://deploy@files.example.com:2222/srv/repo/metadata/timestamp.json");
  REQUIRE(ssh);
  CHECK(ssh->kind == net::Credential::Kind::kSshKey);
  CHECK(ssh->known_hosts == "/k/known_hosts");
  CHECK(s.find("sftp://files.example.com/srv/repo/x") == nullptr);  // port 22
}

TEST_CASE("credentials: the Authorization header's value", "[credentials]") {
  const CredentialStore s = CredentialStore::parse(kFile, "creds.json");
  CHECK(s.find("http://repo.example.com:8080/")->authorization() == "Basic b3RoZXI6cHctODA4MA==");
  CHECK(s.find("https://repo.example.com/apps/demo/")->authorization() == "Bearer tok-demo");
}

TEST_CASE("credentials: a wrong entry is refused naming the key, never the secret", "[credentials]") {
  const char* bad[] = {
      R"({"https://r/": {"basic": {"user": "u", "password": "s3cret-value", "extra": 1}}})",
      R"({"https://r/": {"basic": {"user": "u", "password": "s3cret-value"}, "bearer": "s3cret-value"}})",
      R"({"https://r/": {"ssh": {"user": "u", "password": "s3cret-value"}}})",
      R"({"sftp://r/": {"ssh": {"user": "u", "password": "s3cret-value", "key_file": "/k"}}})",
      R"({"sftp://r/": {"ssh": {"user": "u", "key_file": "relative", "passphrase": "s3cret-value"}}})",
      R"({"https://r/": {"bearer": "s3cret-value"} "x")",
      R"({"nohost": {"bearer": "s3cret-value"}})",
  };
  for (const char* text : bad) {
    INFO(text);
    const std::string msg = error_of([&] { CredentialStore::parse(text, "creds.json"); }, ErrorCode::kBadInput);
    CHECK(msg.find("creds.json") != std::string::npos);
    CHECK(msg.find("s3cret") == std::string::npos);
  }
}

TEST_CASE("credentials: a file others may read, or another user's, is refused with the fix", "[credentials]") {
  TempDir dir;
  const stdfs::path loose = write_secret(dir, kFile, 0644);
  std::string msg = error_of([&] { CredentialStore::load(loose); }, ErrorCode::kCredentials);
  CHECK(msg.find("mode 0644") != std::string::npos);
  CHECK(msg.find("expected 0600 or stricter") != std::string::npos);
  CHECK(msg.find("chmod 600 " + loose.string()) != std::string::npos);
  CHECK(msg.find("pw-root") == std::string::npos);

  write_secret(dir, kFile, 0640);
  CHECK_THROWS_WITH(CredentialStore::load(loose), Catch::Contains("mode 0640"));
  write_secret(dir, kFile, 0400);
  CHECK(CredentialStore::load(loose).size() == 4);
  write_secret(dir, kFile, 0600);
  CHECK(CredentialStore::load(loose).size() == 4);

  if (geteuid() == 0) {  // only root can give a file away
    REQUIRE(chown(loose.c_str(), 12345, 12345) == 0);
    msg = error_of([&] { CredentialStore::load(loose); }, ErrorCode::kCredentials);
    CHECK(msg.find("owned by uid 12345") != std::string::npos);
  }
}

TEST_CASE(
    "credentials: open() reads at the first request and keeps a file's error for every request, and a missing optional "
    "file is none",
    "[credentials]") {
  TempDir dir;
  const auto none = CredentialStore::open(dir / "credentials.json", /*required=*/false);
  CHECK(none->find("https://repo.example.com/x") == nullptr);

  const auto missing = CredentialStore::open(dir / "credentials.json", /*required=*/true);
  const std::string msg = error_of([&] { missing->find("https://repo.example.com/x"); }, ErrorCode::kCredentials);
  CHECK(msg.find("no such credentials file") != std::string::npos);

  const auto loose = CredentialStore::open(write_secret(dir, kFile, 0604), false);
  CHECK_THROWS_WITH(loose->find("https://repo.example.com/x"), Catch::Contains("mode 0604"));
  CHECK_THROWS_WITH(loose->find("file:///x"), Catch::Contains("mode 0604"));
}

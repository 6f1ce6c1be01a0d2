#include "vendor/key_store.h"

#include <catch2/catch.hpp>
#include <set>

#include "error.h"
#include "fs.h"
#include "test_support.h"

using namespace upkeep;
using namespace upkeep::test;
using vendor::KeyStore;

TEST_CASE("key store creates private keys 0600 in a 0700 folder", "[vendor]") {
  TempDir tmp;
  KeyStore store = KeyStore::create(tmp / "keys", "com.example.app");
  CHECK(store.app_id() == "com.example.app");
  CHECK(fs::file_mode(tmp / "keys") == 0700);
  std::set<std::string> ids;
  for (const char* role : {"root", "targets", "snapshot", "timestamp"}) {
    auto path = tmp / "keys" / (std::string(role) + ".key");
    REQUIRE(stdfs::exists(path));
    CHECK(fs::file_mode(path) == 0600);
    auto key = store.load_key(role);
    CHECK(key->public_key().verify("m", key->sign("m")));
    ids.insert(key->key_id());
    Json file = Json::parse(read_text(path));
    CHECK(file.get_string("keytype") == "ed25519");
    CHECK(file.at("keyval").get_string("private").size() == 64);
  }
  CHECK(ids.size() == 4);  // one distinct key per role
  CHECK(KeyStore::open(tmp / "keys").app_id() == "com.example.app");
}

TEST_CASE("key store never overwrites keys", "[vendor]") {
  TempDir tmp;
  KeyStore::create(tmp / "keys", "demo");
  const std::string before = read_text(tmp / "keys" / "root.key");
  try {
    KeyStore::create(tmp / "keys", "demo");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kExists);
    CHECK(std::string(e.what()).find("root.key already exists") != std::string::npos);
  }
  CHECK(read_text(tmp / "keys" / "root.key") == before);
}

TEST_CASE("key store refuses bad app ids and reports missing files", "[vendor]") {
  TempDir tmp;
  for (const char* bad : {"", "../x", ".hidden", "a/b", "with space"}) {
    try {
      KeyStore::create(tmp / "keys", bad);
      FAIL("expected an error for '" << bad << "'");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kUsage);
    }
  }
  CHECK_FALSE(stdfs::exists(tmp / "keys"));
  try {
    KeyStore::open(tmp / "nowhere");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(std::string(e.what()).find("vendor.json not found") != std::string::npos);
  }
  KeyStore store = KeyStore::create(tmp / "keys", "demo");
  stdfs::remove(tmp / "keys" / "snapshot.key");
  try {
    store.load_key("snapshot");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kNotFound);
    CHECK(std::string(e.what()) == (tmp / "keys" / "snapshot.key").string() + ": signing key not found");
  }
}

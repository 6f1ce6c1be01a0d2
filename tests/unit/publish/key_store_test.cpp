#include "upkeep/publish/key_store.h"

#include <catch2/catch.hpp>
#include <set>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::test;
using publish::KeyStore;

namespace {

std::vector<stdfs::path> files_in(const stdfs::path& dir) {
  std::vector<stdfs::path> out;
  if (stdfs::exists(dir))
    for (const auto& e : stdfs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

bool contains_text(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("key store keeps root keys offline and the others online, 0600 in 0700 folders", "[vendor]") {
  TempDir tmp;
  KeyStore store = KeyStore::create(tmp / "keys", "com.example.app");
  CHECK(store.app_id() == "com.example.app");
  CHECK(fs::file_mode(tmp / "keys") == 0700);
  CHECK(fs::file_mode(tmp / "keys" / "offline") == 0700);
  CHECK(fs::file_mode(tmp / "keys" / "online") == 0700);
  std::set<std::string> ids;
  for (const char* role : {"root", "targets", "snapshot", "timestamp"}) {
    auto key = store.load_key(role);
    const stdfs::path path = store.key_path(role, key->key_id());
    CHECK(path.parent_path() == tmp / "keys" / (std::string(role) == "root" ? "offline" : "online"));
    CHECK(path.filename().string() == std::string(role) + "-" + key->key_id().substr(0, 16) + ".key");
    REQUIRE(stdfs::exists(path));
    CHECK(fs::file_mode(path) == 0600);
    CHECK(key->public_key().verify("m", key->sign("m")));
    ids.insert(key->key_id());
    Json file = Json::parse(read_text(path));
    CHECK(file.get_string("keytype") == "ed25519");
    CHECK(file.at("keyval").get_string("private").size() == 64);
    CHECK(store.load_keys(role).size() == 1);
  }
  CHECK(ids.size() == 4);  // one distinct key per role
  CHECK(files_in(tmp / "keys" / "offline").size() == 1);
  CHECK(files_in(tmp / "keys" / "online").size() == 3);
  KeyStore again = KeyStore::open(tmp / "keys");
  CHECK(again.app_id() == "com.example.app");
  CHECK(again.expiries().timestamp == std::chrono::hours(24));
}

TEST_CASE("key store creates keys of the requested type and records expiries", "[vendor]") {
  TempDir tmp;
  publish::Expiries expiries;
  expiries.timestamp = std::chrono::hours(6);
  KeyStore store = KeyStore::create(tmp / "keys", "demo", tuf::KeyType::kEcdsa, expiries);
  CHECK(store.load_key("root")->public_key().keytype() == "ecdsa-sha2-nistp256");
  CHECK(store.load_key("timestamp")->public_key().keytype() == "ecdsa-sha2-nistp256");
  Json vendor = Json::parse(read_text(tmp / "keys" / "vendor.json"));
  CHECK(vendor.at("expires").get_string("timestamp") == "6h");
  CHECK(vendor.at("expires").get_string("root") == "365d");
  CHECK(KeyStore::open(tmp / "keys").expiries().timestamp == std::chrono::hours(6));
}

TEST_CASE("key store adds and removes keys of a role", "[vendor]") {
  TempDir tmp;
  KeyStore store = KeyStore::create(tmp / "keys", "demo");
  auto extra = tuf::PrivateKey::generate(tuf::KeyType::kRsa);
  const stdfs::path path = store.add_key("timestamp", *extra);
  CHECK(fs::file_mode(path) == 0600);
  CHECK(store.load_keys("timestamp").size() == 2);
  CHECK(error_of([&] { store.add_key("timestamp", *extra); }, ErrorCode::kExists) ==
        path.string() + " already exists; refusing to overwrite a key");
  CHECK(store.remove_key("timestamp", extra->key_id()));
  CHECK_FALSE(stdfs::exists(path));
  CHECK_FALSE(store.remove_key("timestamp", extra->key_id()));
  CHECK(store.load_keys("timestamp").size() == 1);
  CHECK(error_of([&] { store.load_keys("mirror"); }, ErrorCode::kUsage) ==
        "unknown role 'mirror' (expected root, targets, snapshot or timestamp)");
}

TEST_CASE("key store works without its offline folder and names what is missing", "[vendor]") {
  TempDir tmp;
  KeyStore store = KeyStore::create(tmp / "keys", "demo");
  stdfs::remove_all(tmp / "keys" / "offline");
  CHECK(store.load_keys("root").empty());
  CHECK(store.load_key("timestamp"));
  CHECK(error_of([&] { store.load_key("root"); }, ErrorCode::kNotFound) ==
        (tmp / "keys" / "offline" / "root-*.key").string() +
            ": signing key not found (no root key in this key folder)");
}

TEST_CASE("key store never overwrites keys", "[vendor]") {
  TempDir tmp;
  KeyStore::create(tmp / "keys", "demo");
  const auto before = files_in(tmp / "keys" / "offline");
  const std::string root_before = read_text(before.at(0));
  auto message = error_of([&] { KeyStore::create(tmp / "keys", "demo"); }, ErrorCode::kExists);
  CHECK(message == (tmp / "keys" / "vendor.json").string() + " already exists; refusing to overwrite signing keys");
  CHECK(files_in(tmp / "keys" / "offline") == before);
  CHECK(read_text(before.at(0)) == root_before);
}

TEST_CASE("key store refuses bad app ids, malformed files and reports missing files", "[vendor]") {
  TempDir tmp;
  for (const char* bad : {"", "../x", ".hidden", "a/b", "with space"}) {
    INFO(bad);
    CHECK(error_of([&] { KeyStore::create(tmp / "keys", bad); }).first == ErrorCode::kUsage);
  }
  CHECK_FALSE(stdfs::exists(tmp / "keys"));
  CHECK(
      contains_text(error_of([&] { KeyStore::open(tmp / "nowhere"); }, ErrorCode::kNotFound), "vendor.json not found"));

  KeyStore store = KeyStore::create(tmp / "keys", "demo");
  const stdfs::path snapshot = store.key_path("snapshot", store.load_key("snapshot")->key_id());
  write_text(snapshot, R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"00"}})");
  CHECK(error_of([&] { store.load_keys("snapshot"); }, ErrorCode::kBadInput) ==
        snapshot.string() + ": missing field 'private'");

  write_text(tmp / "keys" / "vendor.json", R"({"app_id":"demo","expires":{"timestamp":"soon"}})");
  CHECK(error_of([&] { KeyStore::open(tmp / "keys"); }, ErrorCode::kBadInput) ==
        (tmp / "keys" / "vendor.json").string() +
            ": expires.timestamp: 'soon' is not a duration (expected days like 30 or 30d, or hours like 12h, at "
            "most 10 years)");
}

TEST_CASE("key store still reads a key folder from before the offline/online split", "[vendor]") {
  TempDir tmp;
  KeyStore store = KeyStore::create(tmp / "keys", "demo");
  auto root = store.load_key("root");
  stdfs::remove_all(tmp / "keys" / "offline");
  write_text(tmp / "keys" / "root.key", root->to_json().dump());
  CHECK(store.load_key("root")->key_id() == root->key_id());
}

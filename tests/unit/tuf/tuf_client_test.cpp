#include "upkeep/tuf/tuf_client.h"

#include <catch2/catch.hpp>

#include "tuf_test_repo.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::test;
using tuf::Client;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Signs a new timestamp (next version) listing `snapshot_bytes` as snapshot version `snapshot_version`.
void write_timestamp(RepoFixture& f, int64_t version, int64_t snapshot_version, const std::string& snapshot_bytes,
                     const tuf::PrivateKey& key) {
  tuf::TimestampMetadata ts;
  ts.version = version;
  ts.expires = f.now() + 3600;
  ts.snapshot = describe(snapshot_version, snapshot_bytes);
  write_signed(f.meta("timestamp.json"), ts.to_json(), {&key});
}

}  // namespace

TEST_CASE("client refresh: empty repository, then a release over HTTP", "[tuf]") {
  RepoFixture f;
  auto client = f.client();
  client->refresh();
  CHECK(client->targets().empty());
  CHECK(client->timestamp_version() == 1);
  CHECK(client->root()->version == 1);

  auto published = f.release("1.0.0");
  client->refresh();
  CHECK(client->timestamp_version() == 2);
  CHECK(client->snapshot_version() == 2);
  CHECK(client->targets_version() == 2);
  auto targets = client->targets();
  REQUIRE(targets.size() == 3);
  auto pkg = client->find_target("demo/1.0.0/linux-x86_64/package.zip");
  REQUIRE(pkg);
  CHECK(pkg->custom.get_string("version") == "1.0.0");
  CHECK(pkg->custom.get_string("manifest") == "demo/1.0.0/linux-x86_64/files.json");
  CHECK(pkg->sha256() == published.package_sha256);

  // The consistent-snapshot URL serves exactly the signed bytes.
  std::string url = client->target_url(*pkg);
  CHECK(url == f.base_url() + "targets/demo/1.0.0/linux-x86_64/" + pkg->sha256() + ".package.zip");
  auto dest = f.tmp / "download" / "package.zip";
  stdfs::create_directories(dest.parent_path());
  f.fetcher.download(url, dest, pkg->length, pkg->sha256(), nullptr);
  CHECK(hash_file_hex(dest) == pkg->sha256());

  // The cache holds the verified files under their plain names.
  CHECK(read_text(f.trust / "timestamp.json") == read_text(f.meta("timestamp.json")));
  CHECK(read_text(f.trust / "snapshot.json") == read_text(f.meta("2.snapshot.json")));
  CHECK(read_text(f.trust / "targets.json") == read_text(f.meta("2.targets.json")));

  // A second client on the same cache reuses it and agrees.
  auto again = f.client();
  again->refresh();
  CHECK(again->targets().size() == 3);
}

TEST_CASE("client refuses a rolled-back timestamp and keeps its trusted files", "[tuf]") {
  RepoFixture f;
  f.release("1.0.0");
  std::string old_timestamp = read_text(f.meta("timestamp.json"));  // version 2
  f.release("1.1.0");
  auto client = f.client();
  client->refresh();
  auto trusted = snapshot_tree(f.trust);

  write_text(f.meta("timestamp.json"), old_timestamp);
  auto [code, message] = error_of([&] { client->refresh(); });
  CHECK(code == ErrorCode::kVerification);
  CHECK(message == "timestamp.json: version 2 is older than trusted version 3");
  CHECK(snapshot_tree(f.trust) == trusted);
  CHECK(client->targets().empty());
}

TEST_CASE("client refuses rolled-back snapshot and targets versions", "[tuf]") {
  RepoFixture f;
  f.release("1.0.0");
  const std::string snapshot2 = read_text(f.meta("2.snapshot.json"));
  const std::string targets2 = read_text(f.meta("2.targets.json"));
  f.release("1.1.0");
  auto client = f.client();
  client->refresh();
  auto trusted = snapshot_tree(f.trust);
  auto timestamp_key = f.key(tuf::kTimestampRole);

  SECTION("a new timestamp listing an older snapshot") {
    write_timestamp(f, 4, 2, snapshot2, *timestamp_key);
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "timestamp.json: lists snapshot version 2, older than trusted snapshot version 3");
    CHECK(snapshot_tree(f.trust) == trusted);
  }
  SECTION("a new snapshot listing an older targets version") {
    tuf::SnapshotMetadata snap;
    snap.version = 4;
    snap.expires = f.now() + 3600;
    snap.meta["targets.json"] = describe(2, targets2);
    auto snapshot_key = f.key(tuf::kSnapshotRole);
    std::string bytes = write_signed(f.meta("4.snapshot.json"), snap.to_json(), {snapshot_key.get()});
    write_timestamp(f, 4, 4, bytes, *timestamp_key);
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "snapshot.json: lists targets.json version 2, older than trusted version 3");
    // The new timestamp itself verified and is kept; snapshot and targets stay.
    CHECK(read_text(f.trust / "snapshot.json") == trusted["snapshot.json"]);
    CHECK(read_text(f.trust / "targets.json") == trusted["targets.json"]);
  }
}

TEST_CASE("client refuses expired metadata by its clock", "[tuf]") {
  RepoFixture f;
  auto client = f.client(2 * 24 * 3600);  // the timestamp is valid for one day
  auto [code, message] = error_of([&] { client->refresh(); });
  CHECK(code == ErrorCode::kVerification);
  CHECK(message == "timestamp.json: expired at " + tuf::format_time(f.now() + 24 * 3600));
  CHECK_FALSE(stdfs::exists(f.trust / "timestamp.json"));

  // A fresh timestamp that still lists the first snapshot, valid for seven days
  // (its key kept offline, so refresh-timestamp cannot re-sign it).
  auto late = f.client(8 * 24 * 3600);
  stdfs::remove(f.keys.key_path(tuf::kSnapshotRole, f.key(tuf::kSnapshotRole)->key_id()));
  f.advance(8 * 24 * 3600 - 60);
  f.publisher.refresh_timestamp();
  f.advance(-(8 * 24 * 3600 - 60));
  auto [code2, message2] = error_of([&] { late->refresh(); });
  CHECK(code2 == ErrorCode::kVerification);
  CHECK(message2 == "snapshot.json: expired at " + tuf::format_time(f.now() + 7 * 24 * 3600));
  CHECK_FALSE(stdfs::exists(f.trust / "snapshot.json"));
}

TEST_CASE("client refuses tampered targets metadata", "[tuf]") {
  RepoFixture f;
  f.release("1.0.0");
  auto client = f.client();
  auto trusted_root = read_text(f.trust / "root.json");

  SECTION("bytes that differ from the snapshot's hash") {
    std::string text = read_text(f.meta("2.targets.json"));
    auto pos = text.find("\"rollout\": 100");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 14, "\"rollout\": 900");
    write_text(f.meta("2.targets.json"), text);
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(contains(message, "targets.json: sha256 is " + sha256_hex(text) + ", expected "));
  }
  SECTION("a re-listed file without a valid targets signature") {
    std::string text = read_text(f.meta("2.targets.json"));
    auto pos = text.find("\"rollout\": 100");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 14, "\"rollout\": 900");
    write_text(f.meta("2.targets.json"), text);
    // The attacker holds the snapshot and timestamp keys, not the targets key.
    tuf::SnapshotMetadata snap;
    snap.version = 3;
    snap.expires = f.now() + 3600;
    snap.meta["targets.json"] = describe(2, text);
    auto snapshot_key = f.key(tuf::kSnapshotRole);
    std::string bytes = write_signed(f.meta("3.snapshot.json"), snap.to_json(), {snapshot_key.get()});
    write_timestamp(f, 3, 3, bytes, *f.key(tuf::kTimestampRole));
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "targets.json: 0 valid signatures, threshold is 1");
  }
  CHECK_FALSE(stdfs::exists(f.trust / "targets.json"));
  CHECK(read_text(f.trust / "root.json") == trusted_root);
}

TEST_CASE("client follows a root rotation signed by the old and the new keys", "[tuf]") {
  RepoFixture f;
  f.publisher.refresh_timestamp();  // timestamp version 2, signed by the first timestamp key
  auto client = f.client();
  client->refresh();
  REQUIRE(client->timestamp_version() == 2);

  // Version 2 of root replaces the root key and the timestamp key.
  auto old_root_key = f.key(tuf::kRootRole);
  auto new_root_key = tuf::PrivateKey::generate_ed25519();
  auto new_timestamp_key = tuf::PrivateKey::generate_ed25519();
  tuf::RootMetadata root = f.publisher.current_root();
  root.version = 2;
  for (auto* k : {new_root_key.get(), new_timestamp_key.get()})
    root.keys[k->key_id()] = tuf::PublicKey::from_json(k->public_key().to_json());
  root.keys.erase(old_root_key->key_id());
  root.keys.erase(f.key(tuf::kTimestampRole)->key_id());
  root.roles[tuf::kRootRole].keyids = {new_root_key->key_id()};
  root.roles[tuf::kTimestampRole].keyids = {new_timestamp_key->key_id()};
  std::string root2 = write_signed(f.meta("2.root.json"), root.to_json(), {old_root_key.get(), new_root_key.get()});

  SECTION("the new root is trusted and a lower timestamp version by the new key is accepted") {
    // Fast-forward recovery: the cached timestamp (version 2) was signed by the replaced key.
    std::string snapshot1 = read_text(f.meta("1.snapshot.json"));
    write_timestamp(f, 1, 1, snapshot1, *new_timestamp_key);
    client->refresh();
    CHECK(client->root()->version == 2);
    CHECK(client->timestamp_version() == 1);
    CHECK(read_text(f.trust / "root.json") == root2);
  }
  SECTION("the cached timestamp and snapshot are dropped even when the repository is unreachable after the root") {
    stdfs::remove(f.meta("timestamp.json"));
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kNetwork);
    CHECK(read_text(f.trust / "root.json") == root2);
    CHECK_FALSE(stdfs::exists(f.trust / "timestamp.json"));
    CHECK_FALSE(stdfs::exists(f.trust / "snapshot.json"));
  }
}

TEST_CASE("client refuses a bad intermediate root and keeps the trusted one", "[tuf]") {
  RepoFixture f;
  auto client = f.client();
  const std::string trusted_root = read_text(f.trust / "root.json");
  auto old_root_key = f.key(tuf::kRootRole);
  auto new_root_key = tuf::PrivateKey::generate_ed25519();
  tuf::RootMetadata root = f.publisher.current_root();
  root.version = 2;
  root.keys[new_root_key->key_id()] = tuf::PublicKey::from_json(new_root_key->public_key().to_json());
  root.roles[tuf::kRootRole].keyids = {new_root_key->key_id()};

  SECTION("not signed by the trusted root's key") {
    write_signed(f.meta("2.root.json"), root.to_json(), {new_root_key.get()});
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "2.root.json: 0 valid signatures by the keys of trusted root version 1, threshold is 1");
  }
  SECTION("not signed by its own new key") {
    write_signed(f.meta("2.root.json"), root.to_json(), {old_root_key.get()});
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "2.root.json: 0 valid signatures by its own root keys, threshold is 1");
  }
  SECTION("a version that skips ahead") {
    root.version = 3;
    write_signed(f.meta("2.root.json"), root.to_json(), {old_root_key.get(), new_root_key.get()});
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "2.root.json: version is 3, expected 2");
  }
  SECTION("malformed JSON") {
    write_text(f.meta("2.root.json"), "{\"signed\": ");
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(contains(message, "2.root.json"));
  }
  CHECK(read_text(f.trust / "root.json") == trusted_root);
  CHECK_FALSE(stdfs::exists(f.trust / "timestamp.json"));
}

TEST_CASE("client stops endless data at the byte limits", "[tuf]") {
  RepoFixture f;
  f.release("1.0.0");
  auto client = f.client();
  client->refresh();
  auto trusted = snapshot_tree(f.trust);

  SECTION("timestamp.json larger than 512 KiB") {
    write_text(f.meta("timestamp.json"), "{\"signatures\": [], \"signed\": \"" + std::string(600 << 10, 'x') + "\"}");
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(snapshot_tree(f.trust) == trusted);
  }
  SECTION("a snapshot longer than timestamp.json says") {
    f.release("1.1.0");
    std::string text = read_text(f.meta("3.snapshot.json"));
    write_text(f.meta("3.snapshot.json"), text + std::string(1 << 20, ' '));
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    // The new timestamp verified and is kept; the snapshot was refused.
    CHECK(read_text(f.trust / "snapshot.json") == trusted["snapshot.json"]);
    CHECK(read_text(f.trust / "targets.json") == trusted["targets.json"]);
  }
}

TEST_CASE("client needs a trusted root", "[tuf]") {
  RepoFixture f;
  stdfs::remove(f.trust / "root.json");
  auto [code, message] = error_of([&] { f.client()->refresh(); });
  CHECK(code == ErrorCode::kVerification);
  CHECK(contains(message, "no trusted root metadata"));
}

TEST_CASE("target URLs percent-encode and refuse unsafe paths", "[tuf]") {
  RepoFixture f;
  auto client = f.client();
  client->refresh();
  tuf::TargetFile t;
  t.path = "demo/1.0 beta/x.zip";
  t.hashes["sha256"] = std::string(64, 'a');
  CHECK(client->target_url(t) == f.base_url() + "targets/demo/1.0%20beta/" + std::string(64, 'a') + ".x.zip");
  t.path = "demo/../../etc/passwd";
  auto [code, message] = error_of([&] { client->target_url(t); });
  CHECK(code == ErrorCode::kVerification);
  CHECK(contains(message, "demo/../../etc/passwd"));
}

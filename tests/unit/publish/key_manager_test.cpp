#include "upkeep/publish/key_manager.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "unit/tuf/tuf_test_repo.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/fs.h"

using namespace upkeep;
using namespace upkeep::test;
using tuf::KeyType;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

tuf::Envelope envelope_of(const stdfs::path& file) { return tuf::Envelope::parse(read_text(file), file.string()); }

std::set<std::string> signers_of(const stdfs::path& file) {
  std::set<std::string> ids;
  for (const auto& s : envelope_of(file).signatures) ids.insert(s.keyid);
  return ids;
}

// A client that trusted root version 1 follows the chain to the repository's newest root.
void check_fresh_client_follows(RepoFixture& f, int64_t root_version) {
  TempDir trust;
  stdfs::copy_file(f.meta("1.root.json"), trust.path() / "root.json");
  tuf::Client client(trust.path(), f.base_url() + "metadata/", f.base_url() + "targets/", f.fetcher, f.clock);
  client.refresh();
  CHECK(client.root()->version == root_version);
}

void check_fresh_client_follows_url(const stdfs::path& repo, const std::string& base, net::Fetcher& fetcher,
                                    int64_t root_version) {
  TempDir trust;
  stdfs::copy_file(repo / "metadata" / "1.root.json", trust.path() / "root.json");
  tuf::Client client(trust.path(), base + "metadata/", base + "targets/", fetcher);
  client.refresh();
  CHECK(client.root()->version == root_version);
}

}  // namespace

TEST_CASE("keys add: each role gets a new key of each type, and clients follow every new root", "[vendor][keymgmt]") {
  RepoFixture f;
  f.release("1.0.0");
  auto client = f.client();
  client->refresh();
  publish::KeyManager km(f.keys, f.publisher);

  struct Step {
    const char* role;
    KeyType type;
    int64_t threshold;
    std::vector<std::string> resigned;
  };
  const Step steps[] = {
      {tuf::kTimestampRole, KeyType::kEcdsa, 2, {"timestamp"}},
      {tuf::kSnapshotRole, KeyType::kRsa, 1, {"snapshot", "timestamp"}},
      {tuf::kTargetsRole, KeyType::kEd25519, 2, {"targets", "snapshot", "timestamp"}},
      {tuf::kRootRole, KeyType::kEcdsa, 2, {}},
  };
  int64_t version = 1;
  for (const Step& step : steps) {
    INFO(step.role);
    publish::KeyChange change = km.add_key(step.role, step.type, step.threshold);
    ++version;
    CHECK(change.update.root_version == version);
    CHECK(change.update.resigned == step.resigned);
    REQUIRE(change.added.size() == 1);
    const std::string id = change.added.front();
    // The new private key is stored, 0600, offline for root and online otherwise.
    const stdfs::path key_file = f.keys.key_path(step.role, id);
    CHECK(key_file.parent_path().filename() == (std::string(step.role) == "root" ? "offline" : "online"));
    CHECK(fs::file_mode(key_file) == 0600);
    CHECK(tuf::PrivateKey::from_json(Json::parse(read_text(key_file)))->public_key().type() == step.type);

    tuf::RootMetadata root = f.publisher.current_root();
    CHECK(root.version == version);
    CHECK(root.role(step.role).keyids.size() == 2);
    CHECK(root.role(step.role).keyids.back() == id);
    CHECK(root.role(step.role).threshold == step.threshold);
    CHECK(read_text(f.meta("root.json")) == read_text(f.meta(std::to_string(version) + ".root.json")));

    // The client that trusted the previous root moves to the new one and verifies everything.
    client->refresh();
    CHECK(client->root()->version == version);
    CHECK(client->find_target("demo/1.0.0/linux-x86_64/package.zip"));
  }
  // With thresholds of 2, the re-signed metadata carries both keys' signatures.
  auto timestamp_ids = f.publisher.current_root().role(tuf::kTimestampRole).keyids;
  CHECK(signers_of(f.meta("timestamp.json")) == std::set<std::string>(timestamp_ids.begin(), timestamp_ids.end()));
  // 5.root.json is signed by a threshold of version 4's root keys (1) and its own (2).
  auto root4 = tuf::RootMetadata::parse(envelope_of(f.meta("4.root.json")).signed_json);
  auto root5 = tuf::RootMetadata::parse(envelope_of(f.meta("5.root.json")).signed_json);
  CHECK(tuf::count_valid_signatures(envelope_of(f.meta("5.root.json")), root4.keys, root4.role("root")) == 1);
  CHECK(tuf::count_valid_signatures(envelope_of(f.meta("5.root.json")), root5.keys, root5.role("root")) == 2);
  check_fresh_client_follows(f, 5);

  // Releases keep working with the thresholds of 2.
  f.release("1.1.0");
  client->refresh();
  CHECK(client->find_target("demo/1.1.0/linux-x86_64/package.zip"));
}

TEST_CASE("keys revoke removes a key, deletes its private key and refuses to go below the threshold",
          "[vendor][keymgmt]") {
  RepoFixture f;
  f.release("1.0.0");
  auto client = f.client();
  client->refresh();
  publish::KeyManager km(f.keys, f.publisher);
  const std::string old_id = f.key(tuf::kTargetsRole)->key_id();

  SECTION("the only key of a role cannot go") {
    auto before = snapshot_tree(f.repo());
    CHECK(error_of([&] { km.revoke_key(tuf::kTargetsRole, old_id); }, ErrorCode::kUsage) ==
          "revoking " + old_id.substr(0, 16) +
              " would leave the targets role 0 key(s), below its threshold of 1 (add a key first, or lower the "
              "threshold with --threshold)");
    CHECK(snapshot_tree(f.repo()) == before);
    CHECK(stdfs::exists(f.keys.key_path(tuf::kTargetsRole, old_id)));
  }
  SECTION("unknown and ambiguous key ids") {
    CHECK(contains(error_of([&] { km.revoke_key(tuf::kTargetsRole, "00000000"); }, ErrorCode::kNotFound),
                   "the targets role has no key 00000000"));
    CHECK(contains(error_of([&] { km.revoke_key(tuf::kTargetsRole, "abc"); }, ErrorCode::kNotFound),
                   "give at least 8 hex digits"));
    CHECK(error_of([&] { km.revoke_key("mirror", old_id); }, ErrorCode::kUsage) ==
          "unknown role 'mirror' (expected root, targets, snapshot or timestamp)");
  }
  SECTION("replace the targets key: add a new one, revoke the old one by id prefix") {
    std::string new_id = km.add_key(tuf::kTargetsRole, KeyType::kEcdsa).added.at(0);
    publish::KeyChange change = km.revoke_key(tuf::kTargetsRole, old_id.substr(0, 12));
    CHECK(change.removed == std::vector<std::string>{old_id});
    CHECK(change.update.root_version == 3);
    CHECK(change.update.resigned == std::vector<std::string>{"targets", "snapshot", "timestamp"});
    tuf::RootMetadata root = f.publisher.current_root();
    CHECK(root.role(tuf::kTargetsRole).keyids == std::vector<std::string>{new_id});
    CHECK_FALSE(root.keys.count(old_id));  // no role uses it: it leaves the root
    CHECK_FALSE(stdfs::exists(f.keys.key_path(tuf::kTargetsRole, old_id)));
    // The re-signed targets carry only the new key's signature.
    const auto targets = f.publisher.current_snapshot().meta.at("targets.json").version;
    CHECK(signers_of(f.meta(std::to_string(targets) + ".targets.json")) == std::set<std::string>{new_id});
    client->refresh();
    CHECK(client->root()->version == 3);
    CHECK(client->find_target("demo/1.0.0/linux-x86_64/package.zip"));
    check_fresh_client_follows(f, 3);
  }
  SECTION("lowering the threshold while revoking") {
    km.add_key(tuf::kSnapshotRole, KeyType::kEd25519, 2);
    const std::string snap = f.key(tuf::kSnapshotRole)->key_id();
    CHECK(error_of([&] { km.revoke_key(tuf::kSnapshotRole, snap); }).first == ErrorCode::kUsage);
    publish::KeyChange change =
        km.revoke_key(tuf::kSnapshotRole, f.publisher.current_root().role("snapshot").keyids[0], 1);
    CHECK(change.threshold == 1);
    client->refresh();
    CHECK(client->root()->version == 3);
  }
}

TEST_CASE("keys rotate-root replaces the root keys, clients follow 1 -> 2 -> 3", "[vendor][keymgmt]") {
  RepoFixture f;
  auto client = f.client();
  client->refresh();
  publish::KeyManager km(f.keys, f.publisher);
  const std::string old_root = f.key(tuf::kRootRole)->key_id();

  publish::KeyChange first = km.rotate_root(KeyType::kRsa, 2, 2);
  CHECK(first.update.root_version == 2);
  CHECK(first.update.resigned.empty());  // only the root changed
  CHECK(first.removed == std::vector<std::string>{old_root});
  REQUIRE(first.added.size() == 2);
  CHECK_FALSE(stdfs::exists(f.keys.key_path(tuf::kRootRole, old_root)));
  // The old root private key is kept, renamed, out of the signing keys' way.
  const stdfs::path retired = f.tmp / "keys" / "offline" / ("root." + old_root.substr(0, 16) + ".retired.key");
  CHECK(first.retired == std::vector<stdfs::path>{retired});
  CHECK(fs::file_mode(retired) == 0600);
  CHECK(tuf::PrivateKey::from_json(Json::parse(read_text(retired)))->key_id() == old_root);
  CHECK(f.keys.load_keys(tuf::kRootRole).size() == 2);
  for (const auto& id : first.added) CHECK(fs::file_mode(f.keys.key_path(tuf::kRootRole, id)) == 0600);
  CHECK(signers_of(f.meta("2.root.json")) == std::set<std::string>{old_root, first.added[0], first.added[1]});
  client->refresh();
  CHECK(client->root()->version == 2);

  publish::KeyChange second = km.rotate_root(KeyType::kEd25519);
  CHECK(second.update.root_version == 3);
  CHECK(f.keys.load_keys(tuf::kRootRole).size() == 1);
  CHECK(second.retired.size() == 2);
  CHECK(stdfs::exists(retired));  // never touched again
  client->refresh();
  CHECK(client->root()->version == 3);
  check_fresh_client_follows(f, 3);
  CHECK(error_of([&] { km.rotate_root(KeyType::kEd25519, 1, 2); }, ErrorCode::kUsage) ==
        "threshold 2 of the root role must be from 1 to 1 (its number of keys)");
}

TEST_CASE("a root change without the old root key fails before writing anything", "[vendor][keymgmt]") {
  RepoFixture f;
  f.release("1.0.0");
  publish::KeyManager km(f.keys, f.publisher);
  const auto repo_before = snapshot_tree(f.repo());
  auto root_key = f.key(tuf::kRootRole);
  stdfs::remove_all(f.tmp / "keys" / "offline");
  const auto keys_before = snapshot_tree(f.tmp / "keys");

  auto message = error_of([&] { km.rotate_root(KeyType::kEd25519); }, ErrorCode::kNotFound);
  CHECK(message == "root metadata needs 1 signature(s) but 0 of its keys (" + root_key->key_id().substr(0, 16) +
                       ") are in " + (f.tmp / "keys" / "offline").string());
  CHECK(error_of([&] { km.add_key(tuf::kTimestampRole, KeyType::kEd25519); }).first == ErrorCode::kNotFound);
  CHECK(snapshot_tree(f.repo()) == repo_before);
  CHECK(snapshot_tree(f.tmp / "keys") == keys_before);  // no stray new key
  CHECK_FALSE(stdfs::exists(f.tmp / "keys" / "offline"));
  auto client = f.client();
  client->refresh();
  CHECK(client->root()->version == 1);
}

TEST_CASE("a root update that fails while writing restores the repository", "[vendor][keymgmt]") {
  RepoFixture f;
  f.release("1.0.0");
  const auto before = snapshot_tree(f.repo());
  auto new_key = tuf::PrivateKey::generate(KeyType::kEd25519);
  tuf::RootMetadata root = f.publisher.current_root();
  root.keys[new_key->key_id()] = tuf::PublicKey::from_json(new_key->public_key().to_json());
  root.roles[tuf::kSnapshotRole].keyids = {new_key->key_id()};
  publish::RootUpdate update = f.publisher.prepare_root_update(root, {new_key.get()});
  REQUIRE(update.files.back().first == "timestamp.json");
  // timestamp.json, the last write, cannot be replaced: a folder is in its way.
  const std::string timestamp = read_text(f.meta("timestamp.json"));
  stdfs::remove(f.meta("timestamp.json"));
  write_text(f.meta("timestamp.json") / "blocker", "x");
  CHECK_THROWS(f.publisher.write_root_update(update));
  stdfs::remove_all(f.meta("timestamp.json"));
  write_text(f.meta("timestamp.json"), timestamp);
  CHECK(snapshot_tree(f.repo()) == before);
  CHECK_FALSE(stdfs::exists(f.meta("2.root.json")));
  // The same update can then be written, and clients accept it.
  f.publisher.write_root_update(update);
  auto client = f.client();
  client->refresh();
  CHECK(client->root()->version == 2);
  CHECK(client->snapshot_version() == 3);
}

TEST_CASE("refresh-timestamp re-signs snapshot and targets once half their lifetime is gone", "[vendor][keymgmt]") {
  RepoFixture f;
  f.release("1.0.0");
  auto client = f.client();
  client->refresh();
  const int64_t snapshot = f.publisher.current_snapshot().version, targets = f.publisher.current_targets().version;
  // A timer every 6 hours for 100 days and no release: every client keeps verifying.
  std::map<std::string, int> resigned;
  for (int run = 0; run < 400; ++run) {
    f.advance(6 * 3600);
    for (const std::string& role : f.publisher.refresh_timestamp().roles()) ++resigned[role];
    if (run % 20 == 0) client->refresh();  // throws on expired metadata
  }
  client->refresh();
  CHECK(resigned["timestamp"] == 400);
  // Snapshot (7 days): re-signed every 3.5 days; targets (90 days): once, at 45 (with a snapshot).
  CHECK(resigned["targets"] == 2);  // day 45 and day 90
  CHECK(resigned["snapshot"] >= 100 / 4);
  CHECK(f.publisher.current_targets().version == targets + 2);
  CHECK(f.publisher.current_snapshot().version == snapshot + resigned["snapshot"]);
  CHECK(client->targets().size() == 3);  // the same release, re-signed

  // Without the snapshot key only the timestamp is signed: the vendor's choice to keep it offline.
  stdfs::remove(f.keys.key_path(tuf::kSnapshotRole, f.key(tuf::kSnapshotRole)->key_id()));
  f.advance(5 * 24 * 3600);
  CHECK(f.publisher.refresh_timestamp().roles() == std::vector<std::string>{"timestamp"});
}

TEST_CASE("refresh-timestamp needs only the online timestamp key", "[vendor][keymgmt]") {
  RepoFixture f;
  f.release("1.0.0");
  auto client = f.client();
  client->refresh();
  stdfs::remove_all(f.tmp / "keys" / "offline");
  stdfs::remove(f.keys.key_path(tuf::kTargetsRole, f.key(tuf::kTargetsRole)->key_id()));
  stdfs::remove(f.keys.key_path(tuf::kSnapshotRole, f.key(tuf::kSnapshotRole)->key_id()));
  const auto targets_before = read_text(f.meta("2.targets.json"));
  f.advance(20 * 3600);
  CHECK(f.publisher.refresh_timestamp().resigned.back().version == 3);
  CHECK(f.publisher.current_timestamp().expires == f.now() + 24 * 3600);
  CHECK(read_text(f.meta("2.targets.json")) == targets_before);
  // A day later the old timestamp would have expired; the refreshed one is valid.
  f.advance(10 * 3600);
  client->refresh();
  CHECK(client->timestamp_version() == 3);
}

TEST_CASE("expiries are configurable per role", "[vendor][keymgmt]") {
  TempDir tmp;
  const std::time_t now = 1'800'000'000;
  publish::Expiries e = publish::apply_expiry_overrides("root=730d,targets=30d,snapshot=2d,timestamp=6h", {});
  publish::KeyStore keys = publish::KeyStore::create(tmp / "keys", "demo", KeyType::kEd25519, e);
  const FixedClock clock(FixedClock::at_unix(now));
  publish::RepositoryPublisher publisher(tmp / "repo", keys, keys.expiries(), clock);
  publisher.initialize();
  CHECK(publisher.current_root().expires == now + 730 * 86400);
  CHECK(publisher.current_targets().expires == now + 30 * 86400);
  CHECK(publisher.current_snapshot().expires == now + 2 * 86400);
  CHECK(publisher.current_timestamp().expires == now + 6 * 3600);
  CHECK(publisher.current_root().consistent_snapshot);
}

TEST_CASE("upkeep keys and refresh-timestamp through the real program", "[vendor][keymgmt]") {
  TempDir tmp;
  const std::string upkeep = program("upkeep").string();
  INFO("build the upkeep program first (target upkeep_cli)");
  REQUIRE(stdfs::exists(upkeep));
  const std::string keys = (tmp / "keys").string(), repo = (tmp / "repo").string();
  auto ok = [](const RunResult& r) {
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  ok(run({upkeep, "keys", "init", "--app-id", "demo", "--type", "ecdsa", "--expires", "timestamp=6h", "--expires",
          "snapshot=3d", "--keys", keys, "--repo", repo}));
  for (const char* sub : {"offline", "online"}) {
    CHECK(fs::file_mode(tmp / "keys" / sub) == 0700);
    for (const auto& e : stdfs::directory_iterator(tmp / "keys" / sub)) CHECK(fs::file_mode(e.path()) == 0600);
  }
  publish::KeyStore store = publish::KeyStore::open(tmp / "keys");
  CHECK(store.expiries().timestamp == std::chrono::hours(6));
  CHECK(store.load_key("root")->public_key().keytype() == "ecdsa-sha2-nistp256");

  net::RepoServer server(tmp / "repo");
  server.start();
  net::HttpFetcher fetcher;
  stdfs::create_directories(tmp / "trust");
  stdfs::copy_file(tmp / "repo" / "metadata" / "1.root.json", tmp / "trust" / "root.json");
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  tuf::Client client(tmp / "trust", base + "metadata/", base + "targets/", fetcher);
  client.refresh();
  const auto ts_expiry = tuf::parse_time(
      Json::parse(read_text(tmp / "repo" / "metadata" / "timestamp.json")).at("signed").get_string("expires"), "ts");
  CHECK(ts_expiry <= std::time(nullptr) + 6 * 3600);
  CHECK(ts_expiry > std::time(nullptr) + 5 * 3600);

  std::string out = ok(
      run({upkeep, "keys", "add", "timestamp", "--type", "rsa", "--threshold", "2", "--keys", keys, "--repo", repo}));
  CHECK(contains(out, "published root version 2 (timestamp threshold 2); re-signed timestamp"));
  client.refresh();
  CHECK(client.root()->version == 2);

  const std::string old_ts = client.root()->role("timestamp").keyids.at(0);  // the key from keys init
  auto below = run({upkeep, "keys", "revoke", "timestamp", old_ts.substr(0, 10), "--keys", keys, "--repo", repo});
  CHECK(below.exit_code == static_cast<int>(ErrorCode::kUsage));
  CHECK(contains(below.err, "below its threshold of 2"));
  out = ok(run({upkeep, "keys", "revoke", "timestamp", old_ts.substr(0, 10), "--threshold", "1", "--keys", keys,
                "--repo", repo}));
  CHECK(contains(out, "removed timestamp key " + old_ts));
  client.refresh();
  CHECK(client.root()->version == 3);

  const std::string old_root = store.load_key("root")->key_id();
  out = ok(run({upkeep, "keys", "rotate-root", "--keys", keys, "--repo", repo}));
  CHECK(contains(out, "published root version 4"));
  CHECK(contains(out, "removed root key " + old_root));
  CHECK(contains(out, "kept the removed root private key as " +
                          (tmp / "keys" / "offline" / ("root." + old_root.substr(0, 16) + ".retired.key")).string() +
                          ": clients no longer trust it; destroy it when you no longer need it"));
  out = ok(run({upkeep, "keys", "list", "--keys", keys, "--repo", repo}));
  CHECK(contains(out, "timestamp (threshold 1):"));
  CHECK(contains(out, "ed25519"));  // the new root key
  CHECK(contains(out, "private key here"));

  // The cron job runs on a machine without the offline keys.
  stdfs::remove_all(tmp / "keys" / "offline");
  out = ok(run({upkeep, "refresh-timestamp", "--keys", keys, "--repo", repo}));
  CHECK(contains(out, "timestamp version"));
  const Json refreshed = Json::parse(ok(run({upkeep, "refresh-timestamp", "--keys", keys, "--repo", repo, "--json"})));
  REQUIRE(refreshed.get_array("resigned").size() == 1);  // snapshot and targets are fresh
  CHECK(refreshed.get_array("resigned")[0].get_string("role") == "timestamp");
  auto missing = run({upkeep, "keys", "rotate-root", "--keys", keys, "--repo", repo});
  CHECK(missing.exit_code == static_cast<int>(ErrorCode::kNotFound));
  CHECK(contains(missing.err, "offline"));
  client.refresh();
  CHECK(client.root()->version == 4);
  check_fresh_client_follows_url(tmp / "repo", base, fetcher, 4);
}

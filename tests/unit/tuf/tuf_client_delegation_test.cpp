// tuf::Client's delegated targets search (spec 5.6.7) and the pieces it
// rests on: the delegations model, path patterns, succinct hash bins, safe
// role and target names, the fixed update start time and a targets key
// rotation. Delegation graphs are real signed metadata served over real
// HTTP by a server that records every request, so the order in which the
// client visits roles is observed on the wire.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <mutex>
#include <set>

#include "succinct_bins.h"
#include "tuf_test_repo.h"
#include "upkeep/base/hash.h"
#include "upkeep/tuf/delegation.h"
#include "upkeep/tuf/role_names.h"
#include "upkeep/tuf/tuf_client.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// A real HTTP server on 127.0.0.1 that serves byte strings by the raw
// request path (as sent, still percent-encoded) and records every request.
class MemoryServer {
 public:
  MemoryServer()
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new Factory(this), socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~MemoryServer() { server_.stopAll(true); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + "/"; }
  void put(const std::string& raw_path, const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    files_[raw_path] = bytes;
  }
  std::vector<std::string> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  void clear_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.clear();
  }

 private:
  std::optional<std::string> serve(const std::string& uri) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(uri);
    auto it = files_.find(uri);
    if (it == files_.end()) return std::nullopt;
    return it->second;
  }
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(MemoryServer* s) : server(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      auto body = server->serve(req.getURI());
      if (!body) {
        resp.setStatus(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
        resp.setContentLength(0);
        resp.send();
        return;
      }
      resp.setContentLength(static_cast<std::streamsize>(body->size()));
      resp.send() << *body;
    }
    MemoryServer* server;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(MemoryServer* s) : server(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(server);
    }
    MemoryServer* server;
  };

  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
  std::vector<std::string> requests_;
  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

std::string sign(const Json& signed_json, const std::vector<const tuf::PrivateKey*>& keys) {
  tuf::Envelope e;
  e.signed_json = signed_json;
  for (const auto* k : keys) e.sign(*k);
  return e.to_text();
}

// A repository whose top-level root and keys come from a RepoFixture and
// whose targets, delegated roles, snapshot and timestamp are built here and
// served by a MemoryServer (consistent snapshots).
struct DelegationRepo {
  RepoFixture f;
  MemoryServer server;
  std::map<std::string, tuf::TargetsMetadata> roles;                   // "targets" and delegated roles
  std::map<std::string, std::shared_ptr<const tuf::PrivateKey>> keys;  // role -> signing key
  std::map<std::string, int64_t> listed_version;                       // snapshot lists this version instead
  std::set<std::string> unlisted;                                      // roles left out of the snapshot
  std::map<std::string, std::string> published;                        // role -> bytes
  int64_t snapshot_version = 0;

  DelegationRepo() {
    for (const char* role : {tuf::kTargetsRole, tuf::kSnapshotRole, tuf::kTimestampRole}) keys[role] = f.key(role);
    roles[tuf::kTargetsRole] = empty_targets();
  }

  tuf::TargetsMetadata empty_targets() const {
    tuf::TargetsMetadata m;
    m.version = 1;
    m.expires = f.now() + 24 * 3600;
    return m;
  }

  const tuf::PrivateKey& key_of(const std::string& role) {
    auto& k = keys[role];
    if (!k) k = tuf::PrivateKey::generate_ed25519();
    return *k;
  }

  tuf::Delegations& delegations_of(const std::string& role) {
    auto& d = roles.at(role).delegations;
    if (!d) d.emplace();
    return *d;
  }

  // `from` delegates `paths` to `name` (one key, threshold 1).
  tuf::DelegatedRole& delegate(const std::string& from, const std::string& name, std::vector<std::string> paths,
                               bool terminating = false) {
    const auto& key = key_of(name);
    auto& d = delegations_of(from);
    d.keys[key.key_id()] = tuf::PublicKey::from_json(key.public_key().to_json());
    tuf::DelegatedRole r;
    r.name = name;
    r.keys.keyids = {key.key_id()};
    r.terminating = terminating;
    r.paths = std::move(paths);
    d.roles.push_back(std::move(r));
    if (!roles.count(name)) roles[name] = empty_targets();
    return d.roles.back();
  }

  tuf::TargetFile add_target(const std::string& role, const std::string& path, const std::string& content) {
    tuf::TargetFile t;
    t.path = path;
    t.length = content.size();
    t.hashes["sha256"] = sha256_hex(content);
    roles.at(role).targets[path] = t;
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    server.put("/targets/" + dir + t.sha256() + "." + path.substr(dir.size()), content);
    return t;
  }

  // Signs every role, then a new snapshot listing them and a new timestamp.
  void publish() {
    ++snapshot_version;
    tuf::SnapshotMetadata snap;
    snap.version = snapshot_version;
    snap.expires = f.now() + 24 * 3600;
    for (const auto& [name, m] : roles) {
      std::string bytes = sign(m.to_json(), {&key_of(name)});
      published[name] = bytes;
      if (unlisted.count(name)) continue;
      int64_t v = listed_version.count(name) ? listed_version[name] : m.version;
      server.put("/metadata/" + std::to_string(v) + "." + tuf::role_url_name(name) + ".json", bytes);
      snap.meta[name + ".json"] = describe(v, bytes);
    }
    std::string snap_bytes = sign(snap.to_json(), {keys[tuf::kSnapshotRole].get()});
    server.put("/metadata/" + std::to_string(snapshot_version) + ".snapshot.json", snap_bytes);
    tuf::TimestampMetadata ts;
    ts.version = snapshot_version;
    ts.expires = f.now() + 24 * 3600;
    ts.snapshot = describe(snapshot_version, snap_bytes);
    server.put("/metadata/timestamp.json", sign(ts.to_json(), {keys[tuf::kTimestampRole].get()}));
  }

  std::unique_ptr<tuf::Client> client(tuf::ClientLimits limits = {}) {
    return std::make_unique<tuf::Client>(f.trust, server.url() + "metadata/", server.url() + "targets/", f.fetcher,
                                         f.clock, limits);
  }

  // Refreshes, then looks `path` up and returns the metadata requests the lookup made.
  std::vector<std::string> lookup(tuf::Client& c, const std::string& path, std::optional<tuf::TargetFile>* found) {
    c.refresh();
    server.clear_requests();
    *found = c.target_info(path);
    return server.requests();
  }
};

std::vector<std::string> fetched(std::initializer_list<const char*> roles) {
  std::vector<std::string> out;
  for (const char* r : roles) out.push_back(std::string("/metadata/1.") + r + ".json");
  return out;
}

}  // namespace

TEST_CASE("delegation: a target found through a delegated role is verified, persisted and reused", "[tuf_delegation]") {
  DelegationRepo repo;
  repo.delegate(tuf::kTargetsRole, "apps", {"apps/*"});
  auto t = repo.add_target("apps", "apps/tool.zip", "tool bytes");
  repo.add_target(tuf::kTargetsRole, "top.txt", "top");
  repo.publish();

  auto client = repo.client();
  std::optional<tuf::TargetFile> found;
  CHECK(repo.lookup(*client, "apps/tool.zip", &found) == fetched({"apps"}));
  REQUIRE(found);
  CHECK(found->length == t.length);
  CHECK(found->sha256() == t.sha256());
  CHECK(read_text(repo.f.trust / "apps.json") == repo.published["apps"]);
  // The top-level listing stays top-level; a top-level target needs no delegated role.
  REQUIRE(client->targets().size() == 1);
  CHECK(client->targets()[0].path == "top.txt");

  // The consistent-snapshot URL serves exactly the signed bytes.
  auto dest = repo.f.tmp / "download" / "tool.zip";
  stdfs::create_directories(dest.parent_path());
  repo.f.fetcher.download(client->target_url(*found), dest, found->length, found->sha256(), nullptr);
  CHECK(read_text(dest) == "tool bytes");

  // A second lookup, and a new client on the same folder, use the verified copy.
  repo.server.clear_requests();
  CHECK(client->target_info("apps/tool.zip"));
  auto again = repo.client();
  CHECK(repo.lookup(*again, "apps/tool.zip", &found).empty());
  CHECK(found);
}

TEST_CASE("delegation: pre-order depth-first search in listed order, skipping roles whose paths do not match",
          "[tuf_delegation]") {
  DelegationRepo repo;
  std::optional<tuf::TargetFile> found;
  SECTION("a role's delegations are searched before its next sibling") {
    repo.delegate(tuf::kTargetsRole, "A", {"*"});
    repo.delegate(tuf::kTargetsRole, "B", {"*"});
    repo.delegate("A", "C", {"*"});
    repo.delegate("A", "D", {"*"});
    repo.delegate("C", "E", {"*"});
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "missing", &found) == fetched({"A", "C", "E", "D", "B"}));
    CHECK_FALSE(found);
  }
  SECTION("a role whose patterns do not cover the path is not fetched, nor is anything below it") {
    repo.delegate(tuf::kTargetsRole, "A", {"*.py"});
    repo.delegate(tuf::kTargetsRole, "B", {"releases/*/*"});
    repo.delegate("A", "C", {"*"});
    repo.delegate("B", "X", {"releases/x/*"});
    repo.delegate("B", "Y", {"releases/y/*.zip"});
    repo.add_target("X", "releases/x/x_v1", "x");
    repo.add_target("Y", "releases/z/z_v1.zip", "listed by a role not trusted for it");
    repo.publish();
    auto client = repo.client();
    CHECK(repo.lookup(*client, "releases/x/x_v1", &found) == fetched({"B", "X"}));
    CHECK(found);
    // Y lists the path but is only trusted for releases/y/*.zip: the chain must cover the path.
    repo.server.clear_requests();
    CHECK_FALSE(client->target_info("releases/z/z_v1.zip"));
    CHECK(repo.server.requests().empty());  // B was verified already; Y was never consulted
  }
  SECTION("the first role listing a target wins") {
    repo.delegate(tuf::kTargetsRole, "A", {"*"});
    repo.delegate(tuf::kTargetsRole, "B", {"*"});
    repo.add_target("A", "app.zip", "from A");
    repo.add_target("B", "app.zip", "from B, lower priority");
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "app.zip", &found) == fetched({"A"}));
    REQUIRE(found);
    CHECK(found->sha256() == sha256_hex("from A"));
  }
}

TEST_CASE("delegation: path hash prefixes", "[tuf_delegation]") {
  const std::string inside = "files/inside.bin", outside = "files/outside.bin";
  const std::string prefix = sha256_hex(inside).substr(0, 3);
  REQUIRE(sha256_hex(outside).substr(0, 3) != prefix);
  REQUIRE(sha256_hex(outside).substr(0, 3) != "fff");
  DelegationRepo repo;
  repo.delegate(tuf::kTargetsRole, "bin", {});
  repo.delegate(tuf::kTargetsRole, "rest", {"*/*"});
  auto& bin = repo.delegations_of(tuf::kTargetsRole).roles[0];
  bin.paths.reset();
  bin.path_hash_prefixes = std::vector<std::string>{"fff", prefix};
  repo.add_target("bin", inside, "in");
  repo.add_target("rest", outside, "out");
  repo.publish();
  auto client = repo.client();
  std::optional<tuf::TargetFile> found;
  CHECK(repo.lookup(*client, inside, &found) == fetched({"bin"}));
  CHECK(found);
  repo.server.clear_requests();
  CHECK(client->target_info(outside));
  CHECK(repo.server.requests() == fetched({"rest"}));
}

TEST_CASE("delegation: a terminating delegation ends the search after its subtree", "[tuf_delegation]") {
  DelegationRepo repo;
  std::optional<tuf::TargetFile> found;
  SECTION("at the top level") {
    repo.delegate(tuf::kTargetsRole, "A", {"*"}, /*terminating=*/true);
    repo.delegate(tuf::kTargetsRole, "B", {"*"});
    repo.add_target("B", "only-in-b", "b");
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "only-in-b", &found) == fetched({"A"}));
    CHECK_FALSE(found);
  }
  SECTION("below: the delegator's later siblings are not consulted either") {
    repo.delegate(tuf::kTargetsRole, "A", {"*"});
    repo.delegate(tuf::kTargetsRole, "B", {"*"});
    repo.delegate("A", "C", {"*"}, /*terminating=*/true);
    repo.delegate("A", "D", {"*"});
    repo.delegate("C", "E", {"*"});
    repo.add_target("B", "only-in-b", "b");
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "only-in-b", &found) == fetched({"A", "C", "E"}));
    CHECK_FALSE(found);
  }
  SECTION("a terminating role whose paths do not match does not stop anything") {
    repo.delegate(tuf::kTargetsRole, "A", {"*.py"}, /*terminating=*/true);
    repo.delegate(tuf::kTargetsRole, "B", {"*"});
    repo.add_target("B", "only-in-b", "b");
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "only-in-b", &found) == fetched({"B"}));
    CHECK(found);
  }
}

TEST_CASE("delegation: cycles and roles reached twice are visited once", "[tuf_delegation]") {
  DelegationRepo repo;
  std::optional<tuf::TargetFile> found;
  SECTION("A delegates to B, which delegates back to A") {
    repo.delegate(tuf::kTargetsRole, "A", {"*"});
    repo.delegate("A", "B", {"*"});
    repo.delegate("B", "A", {"*"});
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "missing", &found) == fetched({"A", "B"}));
    CHECK_FALSE(found);
  }
  SECTION("two roles delegating to a third") {
    repo.delegate(tuf::kTargetsRole, "A", {"*"});
    repo.delegate(tuf::kTargetsRole, "B", {"*"});
    repo.delegate("B", "C", {"*"});
    repo.delegate("A", "C", {"*"});
    repo.publish();
    CHECK(repo.lookup(*repo.client(), "missing", &found) == fetched({"A", "C", "B"}));
  }
}

TEST_CASE("delegation: at most max_delegations delegated roles are visited per lookup", "[tuf_delegation]") {
  DelegationRepo repo;
  repo.delegate(tuf::kTargetsRole, "r1", {"*"});
  for (int i = 1; i < 5; ++i) repo.delegate("r" + std::to_string(i), "r" + std::to_string(i + 1), {"*"});
  repo.add_target("r5", "deep", "deep");
  repo.publish();
  std::optional<tuf::TargetFile> found;
  CHECK(repo.lookup(*repo.client({.max_delegations = 4}), "deep", &found) == fetched({"r1", "r2", "r3", "r4"}));
  CHECK_FALSE(found);
  CHECK(repo.lookup(*repo.client({.max_delegations = 5}), "deep", &found).size() == 1);  // r5; r1..r4 are cached
  CHECK(found);
  CHECK(tuf::ClientLimits{}.max_delegations == 32);
}

TEST_CASE("delegation: delegated metadata that does not verify ends the search with an error", "[tuf_delegation]") {
  DelegationRepo repo;
  repo.delegate(tuf::kTargetsRole, "A", {"*"});
  repo.delegate(tuf::kTargetsRole, "B", {"*"});
  repo.add_target("B", "app.zip", "b");
  std::string expected;
  SECTION("signed below the delegation's threshold") {
    repo.delegations_of(tuf::kTargetsRole).roles[0].keys.threshold = 2;
    expected = "A.json: 1 valid signature, threshold is 2";
  }
  SECTION("signed by a key the delegation does not list") {
    repo.keys["A"] = tuf::PrivateKey::generate_ed25519();
    expected = "A.json: 0 valid signatures, threshold is 1";
  }
  SECTION("a version other than the one snapshot.json lists") {
    repo.roles["A"].version = 2;
    repo.listed_version["A"] = 1;
    expected = "A.json: version 2, expected version 1 as listed by snapshot.json";
  }
  SECTION("expired") {
    repo.roles["A"].expires = repo.f.now() - 1;
    expected = "A.json: expired at " + tuf::format_time(repo.f.now() - 1);
  }
  SECTION("not listed in snapshot.json") {
    repo.unlisted.insert("A");
    expected = "snapshot.json: does not list 'A.json', the delegated role of targets.json";
  }
  repo.publish();
  auto client = repo.client();
  client->refresh();
  auto [code, message] = error_of([&] { client->target_info("app.zip"); });
  CHECK(code == ErrorCode::kVerification);
  CHECK(message == expected);
  CHECK_FALSE(stdfs::exists(repo.f.trust / "A.json"));
  CHECK_FALSE(stdfs::exists(repo.f.trust / "B.json"));
}

TEST_CASE("delegation: a bad cached copy of a delegated role is replaced by the verified one", "[tuf_delegation]") {
  DelegationRepo repo;
  repo.delegate(tuf::kTargetsRole, "A", {"*"});
  repo.add_target("A", "app.zip", "a");
  repo.publish();
  write_text(repo.f.trust / "A.json", "{\"signed\": {}, \"signatures\": []}");
  std::optional<tuf::TargetFile> found;
  CHECK(repo.lookup(*repo.client(), "app.zip", &found) == fetched({"A"}));
  CHECK(found);
  CHECK(read_text(repo.f.trust / "A.json") == repo.published["A"]);
}

TEST_CASE("delegation: succinct hash bins", "[tuf_delegation]") {
  SECTION("the client looks only in the target's bin") {
    DelegationRepo repo;
    const auto& key = repo.key_of("bin-key");
    auto& d = repo.delegations_of(tuf::kTargetsRole);
    d.keys[key.key_id()] = tuf::PublicKey::from_json(key.public_key().to_json());
    d.succinct_roles.emplace();
    d.succinct_roles->keys.keyids = {key.key_id()};
    d.succinct_roles->bit_length = 5;
    d.succinct_roles->name_prefix = "bin";
    // Every bin exists, signed by the shared key.
    for (int i = 0; i < 32; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "bin-%02x", i);
      repo.roles[name] = repo.empty_targets();
      repo.keys[name] = repo.keys["bin-key"];
    }
    const std::string in_bin = "packages/app-1.0.tgz";
    const std::string bin = expected_bin("bin", in_bin, 5);
    repo.add_target(bin, in_bin, "app");
    const std::string other = "packages/other.tgz";
    const std::string other_bin = expected_bin("bin", other, 5);
    REQUIRE(other_bin != bin);
    repo.add_target(bin, other, "listed in the wrong bin");
    repo.publish();

    auto client = repo.client();
    std::optional<tuf::TargetFile> found;
    CHECK(repo.lookup(*client, in_bin, &found) == std::vector<std::string>{"/metadata/1." + bin + ".json"});
    CHECK(found);
    repo.server.clear_requests();
    CHECK_FALSE(client->target_info(other));
    CHECK(repo.server.requests() == std::vector<std::string>{"/metadata/1." + other_bin + ".json"});
  }
}

TEST_CASE("safe names: unusual delegated role names over HTTP and on disk", "[tuf_delegation]") {
  DelegationRepo repo;
  for (std::string name : {"?", "#", "%3F", "a b"}) repo.delegate(tuf::kTargetsRole, name, {"*"});
  repo.publish();
  std::optional<tuf::TargetFile> found;
  CHECK(repo.lookup(*repo.client(), "missing", &found) ==
        std::vector<std::string>{"/metadata/1.%3F.json", "/metadata/1.%23.json", "/metadata/1.%253F.json",
                                 "/metadata/1.a%20b.json"});
  CHECK_FALSE(found);
  // Every role has its own file directly in the metadata folder, with exactly its bytes.
  auto files = snapshot_tree(repo.f.trust);
  CHECK(files.size() == 8);
  CHECK(files["%3F.json"] == repo.published["?"]);
  CHECK(files["%23.json"] == repo.published["#"]);
  CHECK(files["%253F.json"] == repo.published["%3F"]);
  CHECK(files["a%20b.json"] == repo.published["a b"]);
}

TEST_CASE("client reads the clock once per refresh and uses that time for every expiry check", "[tuf_delegation]") {
  DelegationRepo repo;
  repo.delegate(tuf::kTargetsRole, "A", {"*"});
  repo.add_target("A", "app.zip", "a");
  repo.publish();
  // Everything expires a day after repo.f.now(); any second reading of the clock is two days later.
  struct SecondReadingLater : Clock {
    explicit SecondReadingLater(std::time_t first) : first(first) {}
    int local_minute_of_day() const override { return 0; }
    TimePoint now() const override { return FixedClock::at_unix(++calls == 1 ? first : first + 2 * 24 * 3600); }
    std::time_t first;
    mutable int calls = 0;
  } clock(repo.f.now());
  int& calls = clock.calls;
  tuf::Client client(repo.f.trust, repo.server.url() + "metadata/", repo.server.url() + "targets/", repo.f.fetcher,
                     clock);
  client.refresh();
  CHECK(client.update_start_time() == repo.f.now());
  CHECK(client.target_info("app.zip"));
  CHECK(calls == 1);
  // The next refresh reads the clock again.
  auto [code, message] = error_of([&] { client.refresh(); });
  CHECK(code == ErrorCode::kVerification);
  CHECK(message == "timestamp.json: expired at " + tuf::format_time(repo.f.now() + 24 * 3600));
}

TEST_CASE("client follows a targets key rotation: the new key's targets are trusted, the old key's are not",
          "[tuf_delegation]") {
  RepoFixture f;
  f.release("1.0.0");  // targets version 2, signed by the first targets key
  auto client = f.client();
  client->refresh();
  REQUIRE(client->targets_version() == 2);

  auto root_key = f.key(tuf::kRootRole);
  auto old_targets_key = f.key(tuf::kTargetsRole);
  auto new_targets_key = tuf::PrivateKey::generate_ed25519();
  tuf::RootMetadata root = f.publisher.current_root();
  root.version = 2;
  root.keys.erase(old_targets_key->key_id());
  root.keys[new_targets_key->key_id()] = tuf::PublicKey::from_json(new_targets_key->public_key().to_json());
  root.roles[tuf::kTargetsRole].keyids = {new_targets_key->key_id()};
  write_signed(f.meta("2.root.json"), root.to_json(), {root_key.get()});

  // Targets version 3 with the same content, signed by `key`, listed by a new snapshot and timestamp.
  auto publish_targets = [&](const tuf::PrivateKey& key) {
    auto t = tuf::TargetsMetadata::parse(tuf::Envelope::parse(read_text(f.meta("2.targets.json")), "t").signed_json);
    t.version = 3;
    std::string targets = write_signed(f.meta("3.targets.json"), t.to_json(), {&key});
    tuf::SnapshotMetadata snap;
    snap.version = 3;
    snap.expires = f.now() + 3600;
    snap.meta["targets.json"] = describe(3, targets);
    std::string snapshot = write_signed(f.meta("3.snapshot.json"), snap.to_json(), {f.key(tuf::kSnapshotRole).get()});
    tuf::TimestampMetadata ts;
    ts.version = 3;
    ts.expires = f.now() + 3600;
    ts.snapshot = describe(3, snapshot);
    write_signed(f.meta("timestamp.json"), ts.to_json(), {f.key(tuf::kTimestampRole).get()});
    return targets;
  };
  SECTION("signed by the new key") {
    std::string targets = publish_targets(*new_targets_key);
    client->refresh();
    CHECK(client->root()->version == 2);
    CHECK(client->targets_version() == 3);
    CHECK(read_text(f.trust / "targets.json") == targets);
  }
  SECTION("signed by the replaced key") {
    publish_targets(*old_targets_key);
    auto [code, message] = error_of([&] { client->refresh(); });
    CHECK(code == ErrorCode::kVerification);
    CHECK(message == "targets.json: 0 valid signatures, threshold is 1");
    // Timestamp and snapshot keys did not change: their trusted files stay;
    // the targets.json the replaced key signed was dropped (decisions.md).
    CHECK(stdfs::exists(f.trust / "timestamp.json"));
    CHECK(stdfs::exists(f.trust / "snapshot.json"));
    CHECK_FALSE(stdfs::exists(f.trust / "targets.json"));
  }
}

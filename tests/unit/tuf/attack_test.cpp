// One or more tests per attack the TUF specification names (section 1.5.2),
// driven by the repository simulator against tuf::Client over real HTTP:
// the attacks on what is delivered (arbitrary installation, endless data,
// key compromise, wrong software, slow retrieval, delegations, a corrupted
// cache); the attacks on freshness are in attack_freshness_test.cpp. Each
// checks the error, that the trusted files did not change (beyond what
// verified), and that a later good refresh still works.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "repository_simulator.h"
#include "upkeep/base/hash.h"
#include "upkeep/update/release_selector.h"

using namespace upkeep;
using namespace upkeep::test;
using Behaviour = HostileServer::Behaviour;

namespace {

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

const std::string kPackage = "demo/1.0.0/linux-x86_64/package.zip";

}  // namespace

TEST_CASE("attack: arbitrary installation, target bytes unlike the signed length and hash are refused",
          "[tuf][attack]") {
  RepositorySimulator sim;
  const std::string good = "the real package, version 1.0.0";
  const tuf::TargetFile listed = sim.add_target(kPackage, good);
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  auto t = client->find_target(kPackage);
  REQUIRE(t);
  const std::string url = client->target_url(*t);
  TempDir downloads;
  const stdfs::path dest = downloads / "package.zip";
  auto download = [&] { sim.fetcher.download(url, dest, t->length, t->sha256(), nullptr); };

  SECTION("same length, other bytes") {
    std::string evil = good;
    evil[0] = 'T';
    sim.write_target_file(listed, evil);
    CHECK(has(error_of(download, ErrorCode::kVerification), "SHA-256 mismatch"));
  }
  SECTION("longer than listed") {
    sim.write_target_file(listed, good + std::string(1 << 20, 'x'));
    CHECK(has(error_of(download, ErrorCode::kVerification), "more than " + std::to_string(good.size()) + " bytes"));
  }
  SECTION("shorter than listed") {
    sim.write_target_file(listed, good.substr(0, 5));
    CHECK(has(error_of(download, ErrorCode::kVerification), "expected " + std::to_string(good.size())));
  }
  SECTION("an evil target listed in metadata signed without the targets key") {
    // The attacker holds the online snapshot and timestamp keys, not the targets key.
    const auto targets_signers = sim.signers[tuf::kTargetsRole];
    sim.signers[tuf::kTargetsRole] = {tuf::PrivateKey::generate_ed25519()};
    sim.add_target("demo/6.6.6/linux-x86_64/package.zip", "evil");
    sim.publish_new_versions();
    const auto msg = sim.refresh_refused(
        *client, ErrorCode::kVerification,
        sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "3.snapshot.json"}}));
    CHECK(msg == "targets.json: 0 valid signatures, threshold is 1");
    sim.signers[tuf::kTargetsRole] = targets_signers;
    sim.targets.targets.erase("demo/6.6.6/linux-x86_64/package.zip");
    sim.publish_new_versions();
    sim.refresh_reaches_published(*client);
  }
  CHECK_FALSE(stdfs::exists(dest));
  CHECK_FALSE(stdfs::exists(downloads / "package.zip.part"));

  // The real package still installs.
  sim.write_target_file(listed, good);
  client->refresh();
  t = client->find_target(kPackage);
  REQUIRE(t);
  sim.fetcher.download(client->target_url(*t), dest, t->length, t->sha256(), nullptr);
  CHECK(read_text(dest) == good);
}

TEST_CASE("attack: endless data, every metadata download stops at its byte limit", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();  // version 2 of timestamp, snapshot and targets
  sim.client()->refresh();
  sim.publish_new_versions();  // version 3 waits on the server
  HostileServer& hostile = sim.hostile();
  tuf::ClientLimits limits;
  limits.root_bytes = 64 << 10;
  limits.timestamp_bytes = 64 << 10;
  limits.snapshot_bytes = 1 << 20;
  limits.targets_bytes = 1 << 20;
  auto client = sim.client_at(hostile.base_url(), nullptr, limits);
  const auto timestamp_replaced = [&] { return sim.trusted_files_with({{"timestamp.json", "timestamp.json"}}); };

  SECTION("timestamp.json") {
    hostile.set("/metadata/timestamp.json", Behaviour::kEndless);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kVerification), "timestamp.json: more than 65536 bytes"));
  }
  SECTION("the next root") {
    sim.root.version = 2;
    sim.publish_root();
    hostile.set("/metadata/2.root.json", Behaviour::kEndless);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kVerification), "2.root.json: more than 65536 bytes"));
  }
  SECTION("a snapshot whose length the timestamp does not list") {
    sim.meta_lengths = false;
    sim.publish_new_versions();
    hostile.set("/metadata/4.snapshot.json", Behaviour::kEndless);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kVerification, timestamp_replaced()),
              "4.snapshot.json: more than 1048576 bytes"));
  }
  SECTION("a snapshot longer than the timestamp lists") {
    hostile.set("/metadata/3.snapshot.json", Behaviour::kEndless);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kVerification, timestamp_replaced()),
              "3.snapshot.json: more than " + std::to_string(*sim.timestamp.snapshot.length) + " bytes"));
  }
  SECTION("targets whose length the snapshot does not list") {
    sim.meta_lengths = false;
    sim.publish_new_versions();
    hostile.set("/metadata/4.targets.json", Behaviour::kEndless);
    const auto msg = sim.refresh_refused(
        *client, ErrorCode::kVerification,
        sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "4.snapshot.json"}}));
    CHECK(has(msg, "4.targets.json: more than 1048576 bytes"));
  }
  SECTION("targets longer than the snapshot lists") {
    hostile.set("/metadata/3.targets.json", Behaviour::kEndless);
    const auto msg = sim.refresh_refused(
        *client, ErrorCode::kVerification,
        sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "3.snapshot.json"}}));
    CHECK(
        has(msg, "3.targets.json: more than " + std::to_string(*sim.snapshot.meta["targets.json"].length) + " bytes"));
  }
  // The client hung up: the server could not push much more than the limit and the socket buffers.
  CHECK(hostile.endless_bytes_sent() < (64u << 20));
  hostile.clear();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("attack: key compromise below the threshold", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  // Root version 2 asks two signatures for every role.
  for (const char* role : {tuf::kRootRole, tuf::kTimestampRole, tuf::kSnapshotRole, tuf::kTargetsRole}) {
    sim.add_key(role);
    sim.root.roles[role].threshold = 2;
  }
  sim.root.version = 2;
  sim.publish_root();
  sim.publish_new_versions();
  auto client = sim.client();
  sim.refresh_reaches_published(*client);
  const auto good_signers = sim.signers;

  SECTION("one of two timestamp keys") {
    sim.signers[tuf::kTimestampRole].pop_back();
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: 1 valid signature, threshold is 2");
  }
  SECTION("one timestamp key whose signature appears twice: the file is invalid (as in python-tuf)") {
    sim.signers[tuf::kTimestampRole].pop_back();
    sim.envelope_hooks[tuf::kTimestampRole] = [](tuf::Envelope& e) { e.signatures.push_back(e.signatures.front()); };
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: signatures[1]: more than one signature by key id " +
              sim.signers[tuf::kTimestampRole].front()->key_id());
  }
  SECTION("one timestamp key plus a key of another role") {
    sim.signers[tuf::kTimestampRole].back() = sim.signers[tuf::kSnapshotRole].front();
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: 1 valid signature, threshold is 2");
  }
  SECTION("one of two snapshot keys") {
    sim.signers[tuf::kSnapshotRole].pop_back();
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: 1 valid signature, threshold is 2");
  }
  SECTION("one of two targets keys") {
    sim.signers[tuf::kTargetsRole].pop_back();
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(
              *client, ErrorCode::kVerification,
              sim.trusted_files_with({{"timestamp.json", "timestamp.json"},
                                      {"snapshot.json", std::to_string(sim.snapshot.version) + ".snapshot.json"}})) ==
          "targets.json: 1 valid signature, threshold is 2");
  }
  SECTION("one of two root keys signs a root that trusts the attacker") {
    auto kept = sim.signers[tuf::kRootRole].front();
    sim.replace_keys(tuf::kRootRole, 2);
    sim.root.version = 3;
    sim.publish_root({kept});
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "3.root.json: 1 valid signatures by the keys of trusted root version 2, threshold is 2");
    std::filesystem::remove(sim.meta_path("3.root.json"));
    sim.root = tuf::RootMetadata::parse(tuf::Envelope::parse(sim.root_bytes(2), "2.root.json").signed_json);
  }
  sim.envelope_hooks.clear();
  sim.signers = good_signers;
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("attack: wrong software, targets of another app or platform are never selected", "[tuf][attack]") {
  RepositorySimulator sim;
  // Every release is validly signed; only app id and platform tell them apart.
  auto release = [&](const std::string& app, const std::string& version, const std::string& platform) {
    const std::string dir = app + "/" + version + "/" + platform + "/";
    Json custom = Json::object();
    custom["app_id"] = app;
    custom["version"] = version;
    custom["platform"] = platform;
    custom["channel"] = "stable";
    custom["manifest"] = dir + "files.json";
    sim.add_target(dir + "package.zip", "package " + dir, custom);
    sim.add_target(dir + "files.json", "{}");
  };
  release("demo", "1.0.0", "linux-x86_64");
  release("demo", "9.0.0", "windows-x86_64");
  release("other", "5.0.0", "linux-x86_64");
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  REQUIRE(client->targets().size() == 6);

  SelectionCriteria criteria;
  criteria.app_id = "demo";
  criteria.platform = "linux-x86_64";
  criteria.channel = "stable";
  auto chosen = select_release(client->targets(), criteria);
  REQUIRE(chosen);
  CHECK(chosen->version == "1.0.0");
  CHECK(chosen->package.path == "demo/1.0.0/linux-x86_64/package.zip");

  criteria.installed_version = "1.0.0";  // nothing newer for this app and platform
  CHECK_FALSE(select_release(client->targets(), criteria));
  criteria.platform = "macos-arm64";
  criteria.installed_version.clear();
  CHECK_FALSE(select_release(client->targets(), criteria));
}

TEST_CASE("attack: slow retrieval, a stalled transfer ends with a network error", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  HostileServer& hostile = sim.hostile();
  net::FetchOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.stall_timeout = std::chrono::milliseconds(300);
  net::HttpFetcher slow(options);
  auto client = sim.client_at(hostile.base_url(), &slow);

  SECTION("no reply at all to the timestamp request") {
    hostile.set("/metadata/timestamp.json", Behaviour::kStallBeforeReply);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kNetwork), "timed out (no data for 300 ms)"));
  }
  SECTION("the next root stops in the middle") {
    sim.root.version = 2;
    sim.publish_root();
    hostile.set("/metadata/2.root.json", Behaviour::kStallMidBody);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kNetwork), "timed out (no data for 300 ms)"));
  }
  SECTION("the snapshot stops in the middle") {
    hostile.set("/metadata/2.snapshot.json", Behaviour::kStallMidBody);
    CHECK(has(sim.refresh_refused(*client, ErrorCode::kNetwork,
                                  sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})),
              "timed out (no data for 300 ms)"));
  }
  hostile.clear();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("attack: a delegated role lists a target outside its delegated paths", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "the real package");
  sim.delegate(tuf::kTargetsRole, "plugins", {"plugins/*"});
  sim.add_target("plugins/a.zip", "plugin", Json::object(), "plugins");
  // The plugins key holder also claims a path it was never trusted with.
  sim.add_target("demo/1.0.0/linux-x86_64/evil.zip", "evil", Json::object(), "plugins");
  sim.publish_new_versions();
  auto client = sim.client();
  sim.refresh_reaches_published(*client);
  auto plugin = client->find_target("plugins/a.zip");
  REQUIRE(plugin);
  CHECK(plugin->length == 6);
  CHECK_FALSE(client->find_target("demo/1.0.0/linux-x86_64/evil.zip"));
  CHECK(client->find_target(kPackage)->length == 16);

  // A delegated role signed by a key the delegation does not list is refused.
  sim.signers["plugins"] = {tuf::PrivateKey::generate_ed25519()};
  sim.delegated["plugins"].version++;
  sim.add_target("plugins/b.zip", "other", Json::object(), "plugins");
  sim.publish_new_versions();
  auto later = sim.client();
  later->refresh();
  CHECK(error_of([&] { later->find_target("plugins/b.zip"); }, ErrorCode::kVerification) ==
        "plugins.json: 0 valid signatures, threshold is 1");
  CHECK(later->find_target(kPackage));  // the top-level targets stay usable
}

TEST_CASE("a corrupted metadata cache never blocks later updates", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  const std::string name =
      GENERATE(std::string("timestamp.json"), std::string("snapshot.json"), std::string("targets.json"));
  SECTION("garbage") { write_text(sim.trust_dir() / name, "{\"signed\": garb"); }
  SECTION("empty") { write_text(sim.trust_dir() / name, ""); }
  SECTION("signed by a key the root does not trust") {
    tuf::Envelope env = tuf::Envelope::parse(read_text(sim.trust_dir() / name), name);
    env.signatures.clear();
    env.sign(*tuf::PrivateKey::generate_ed25519());
    write_text(sim.trust_dir() / name, env.to_text());
  }
  sim.refresh_reaches_published(*client);
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
  CHECK(sim.trusted_files()[name] ==
        sim.read_meta(name == "timestamp.json" ? name : std::to_string(sim.targets.version) + "." + name));
}

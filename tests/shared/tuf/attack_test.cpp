// One or more tests per attack the TUF specification names (section 1.5.2),
// driven by the repository simulator against tuf::Client over real HTTP.
// Each checks the error, that the trusted files did not change (beyond what
// verified), and that a later good refresh still works.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "hash.h"
#include "shared/tuf/repository_simulator.h"
#include "update/release_selector.h"

using namespace upkeep;
using namespace upkeep::test;
using Behaviour = HostileServer::Behaviour;

namespace {

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

const std::string kPackage = "demo/1.0.0/linux-x86_64/package.zip";

// Rewrites a metadata file's "signed" part without signing it again.
void edit_signed(const stdfs::path& file, const std::function<void(Json&)>& change) {
  tuf::Envelope env = tuf::Envelope::parse(read_text(file), file.string());
  change(env.signed_json);
  write_text(file, env.to_text());
}

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

TEST_CASE("attack: fast-forward by a stolen timestamp key, recovered by rotating that key", "[tuf][attack]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();

  // With the stolen key the attacker pushes the timestamp version far ahead.
  sim.timestamp.version = 1000;
  sim.publish_timestamp();
  client->refresh();
  REQUIRE(client->timestamp_version() == 1000);

  // The vendor's next timestamp now looks like a rollback.
  sim.timestamp.version = 2;
  sim.publish_timestamp();
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
        "timestamp.json: version 2 is older than trusted version 1000");

  // Recovery (spec 5.3.11): root version 2 replaces the timestamp key; the
  // client drops the cached timestamp and snapshot signed by the old one.
  sim.replace_keys(tuf::kTimestampRole);
  sim.root.version = 2;
  sim.publish_root();
  sim.publish_timestamp();
  sim.refresh_reaches_published(*client);
  CHECK(client->timestamp_version() == 2);
  CHECK(sim.trusted_files()["root.json"] == sim.root_bytes(2));
}

TEST_CASE("attack: fast-forward of the snapshot, recovered by rotating only the snapshot key", "[tuf][attack]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();

  // Online keys stolen: snapshot and timestamp both jump ahead.
  sim.snapshot.version = 1000;
  sim.timestamp.version = 1000;
  sim.publish();
  client->refresh();
  REQUIRE(client->snapshot_version() == 1000);

  sim.snapshot.version = 2;
  sim.timestamp.version = 1001;  // the timestamp service itself keeps counting
  sim.publish();
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
        "timestamp.json: lists snapshot version 2, older than trusted snapshot version 1000");

  sim.replace_keys(tuf::kSnapshotRole);
  sim.root.version = 2;
  sim.publish_root();
  sim.timestamp.version = 3;
  sim.publish();
  sim.refresh_reaches_published(*client);
  CHECK(client->snapshot_version() == 2);
}

TEST_CASE("attack: indefinite freeze, expired metadata from a repository that stopped updating", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  const std::time_t start = sim.clock;

  SECTION("timestamp") {
    sim.clock = start + 2 * RepositorySimulator::kDay;
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: expired at " + tuf::format_time(sim.timestamp.expires));
    // The vendor's cron job signs a fresh timestamp.
    sim.timestamp.version++;
    sim.timestamp.expires = sim.clock + RepositorySimulator::kDay;
    sim.publish_timestamp();
  }
  SECTION("snapshot") {
    sim.clock = start + 8 * RepositorySimulator::kDay;
    sim.timestamp.version++;
    sim.timestamp.expires = sim.clock + RepositorySimulator::kDay;
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: expired at " + tuf::format_time(sim.snapshot.expires));
    sim.snapshot.expires = sim.clock + 7 * RepositorySimulator::kDay;
    sim.snapshot.version++;
    sim.timestamp.version++;
    sim.publish();
  }
  SECTION("targets") {
    sim.clock = start + 91 * RepositorySimulator::kDay;
    sim.snapshot.expires = sim.clock + 7 * RepositorySimulator::kDay;
    sim.timestamp.expires = sim.clock + RepositorySimulator::kDay;
    sim.snapshot.version++;
    sim.timestamp.version++;
    sim.timestamp.snapshot = sim.describe(sim.snapshot.version, sim.publish_snapshot());
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(
              *client, ErrorCode::kVerification,
              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "3.snapshot.json"}})) ==
          "targets.json: expired at " + tuf::format_time(sim.targets.expires));
    sim.targets.expires = sim.clock + 90 * RepositorySimulator::kDay;
    sim.publish_new_versions();
  }
  SECTION("root") {
    sim.clock = start + 366 * RepositorySimulator::kDay;
    sim.targets.expires = sim.clock + 90 * RepositorySimulator::kDay;
    sim.snapshot.expires = sim.clock + 7 * RepositorySimulator::kDay;
    sim.timestamp.expires = sim.clock + RepositorySimulator::kDay;
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "root.json: expired at " + tuf::format_time(sim.root.expires));
    sim.root.version = 2;
    sim.root.expires = sim.clock + 365 * RepositorySimulator::kDay;
    sim.publish_root();
  }
  sim.refresh_reaches_published(*client);
}

TEST_CASE("attack: malicious mirror serving stale or modified metadata", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  const auto stale = sim.mirror();  // holds version 2
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();  // version 3 from the vendor

  SECTION("stale: an older, validly signed repository") {
    auto mirrored = sim.client_at(stale.url);
    CHECK(sim.refresh_refused(*mirrored, ErrorCode::kVerification) ==
          "timestamp.json: version 2 is older than trusted version 3");
  }
  SECTION("a timestamp with a changed version") {
    sim.publish_new_versions();
    const auto mirror = sim.mirror();
    edit_signed(mirror.dir / "metadata" / "timestamp.json", [](Json& s) { s["version"] = 99; });
    CHECK(sim.refresh_refused(*sim.client_at(mirror.url), ErrorCode::kVerification) ==
          "timestamp.json: 0 valid signatures, threshold is 1");
  }
  SECTION("targets metadata with an extra target") {
    sim.publish_new_versions();
    const auto mirror = sim.mirror();
    const stdfs::path file = mirror.dir / "metadata" / "4.targets.json";
    edit_signed(file, [&](Json& s) { s["targets"]["demo/6.6.6/linux-x86_64/package.zip"] = s["targets"][kPackage]; });
    const auto msg = sim.refresh_refused(
        *sim.client_at(mirror.url), ErrorCode::kVerification,
        sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "4.snapshot.json"}}));
    CHECK(
        has(msg, "4.targets.json: more than " + std::to_string(*sim.snapshot.meta["targets.json"].length) + " bytes"));
  }
  SECTION("targets metadata with another hash for a target, same length") {
    sim.publish_new_versions();
    const auto mirror = sim.mirror();
    const stdfs::path file = mirror.dir / "metadata" / "4.targets.json";
    edit_signed(file, [&](Json& s) { s["targets"][kPackage]["hashes"]["sha256"] = std::string(64, 'e'); });
    const auto msg = sim.refresh_refused(
        *sim.client_at(mirror.url), ErrorCode::kVerification,
        sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "4.snapshot.json"}}));
    CHECK(msg == "targets.json: sha256 is " + sha256_hex(read_text(file)) + ", expected " +
                     sim.snapshot.meta["targets.json"].hashes["sha256"]);
  }
  SECTION("a snapshot re-signed with the mirror's own key") {
    const auto snapshot_signers = sim.signers[tuf::kSnapshotRole];
    sim.signers[tuf::kSnapshotRole] = {tuf::PrivateKey::generate_ed25519()};
    sim.publish_new_versions();
    const auto mirror = sim.mirror();
    CHECK(sim.refresh_refused(*sim.client_at(mirror.url), ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: 0 valid signatures, threshold is 1");
    sim.signers[tuf::kSnapshotRole] = snapshot_signers;
  }
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("attack: mix-and-match, metadata other than what the role above lists", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  auto client = sim.client();
  client->refresh();  // version 1
  const auto after_timestamp_and_snapshot = [&] {
    return sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "2.snapshot.json"}});
  };

  SECTION("targets: another version's bytes under the listed name (hash listed)") {
    sim.publish_new_versions();  // snapshot 2 lists targets 2
    sim.targets.version = 3;
    const std::string other = sim.publish_targets();
    sim.write_meta("2.targets.json", other);
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification, after_timestamp_and_snapshot()) ==
          "targets.json: sha256 is " + sha256_hex(other) + ", expected " +
              sim.snapshot.meta["targets.json"].hashes["sha256"]);
    sim.targets.version = 2;
  }
  SECTION("targets: another version's bytes when only the version is listed") {
    sim.meta_hash_algorithms.clear();
    sim.meta_lengths = false;
    sim.publish_new_versions();
    sim.targets.version = 3;
    sim.write_meta("2.targets.json", sim.publish_targets());
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification, after_timestamp_and_snapshot()) ==
          "targets.json: version 3, expected version 2 as listed by snapshot.json");
    sim.targets.version = 2;
  }
  SECTION("snapshot: a different, validly signed snapshot under the listed name") {
    sim.meta_lengths = false;  // so that the hash, not the length, tells them apart
    sim.publish_new_versions();
    const std::string listed = sim.read_meta("2.snapshot.json");
    sim.snapshot.meta["targets.json"] = sim.describe(1, sim.read_meta("1.targets.json"));
    const std::string other = sim.publish_snapshot();  // also version 2, listing targets 1
    REQUIRE(other != listed);
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: sha256 is " + sha256_hex(other) + ", expected " + sha256_hex(listed));
  }
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("attack: rollback to older timestamp, snapshot or targets", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  const std::string snapshot2 = sim.read_meta("2.snapshot.json");
  const std::string targets2 = sim.read_meta("2.targets.json");
  const std::string timestamp2 = sim.read_meta("timestamp.json");
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();  // version 3

  SECTION("an older timestamp") {
    sim.write_meta("timestamp.json", timestamp2);
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: version 2 is older than trusted version 3");
  }
  SECTION("a new timestamp listing an older snapshot") {
    sim.timestamp.version = 4;
    sim.timestamp.snapshot = sim.describe(2, snapshot2);
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: lists snapshot version 2, older than trusted snapshot version 3");
  }
  SECTION("a new snapshot listing older targets") {
    sim.snapshot.version = 4;
    sim.snapshot.meta["targets.json"] = sim.describe(2, targets2);
    sim.timestamp.version = 4;
    sim.timestamp.snapshot = sim.describe(4, sim.publish_snapshot());
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: lists targets.json version 2, older than trusted version 3");
  }
  SECTION("a new snapshot that drops a listed role") {
    sim.snapshot.meta["extras.json"] = sim.describe(1, "{}");
    sim.snapshot.version = 4;
    sim.timestamp.version = 4;
    sim.timestamp.snapshot = sim.describe(4, sim.publish_snapshot());
    sim.publish_timestamp();
    client->refresh();  // trusts snapshot 4, which lists extras.json
    sim.snapshot.meta.erase("extras.json");
    sim.snapshot.version = 5;
    sim.timestamp.version = 5;
    sim.timestamp.snapshot = sim.describe(5, sim.publish_snapshot());
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: extras.json is no longer listed (trusted version 4 lists it)");
    sim.snapshot.meta["extras.json"] = sim.describe(1, "{}");  // the vendor lists it again
  }
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("rollback check: an equal timestamp version keeps the trusted one quietly", "[tuf][attack]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  const auto trusted = sim.trusted_files();

  // Same version, different content (a later expiry), validly signed: not an error, not adopted.
  sim.timestamp.expires += 3600;
  sim.publish_timestamp();
  REQUIRE(sim.read_meta("timestamp.json") != trusted.at("timestamp.json"));
  client->refresh();
  CHECK(client->timestamp_version() == 2);
  CHECK(client->targets_version() == 2);
  CHECK(client->find_target(kPackage));
  CHECK(sim.trusted_files() == trusted);
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
  SECTION("one timestamp key whose signature appears twice") {
    sim.signers[tuf::kTimestampRole].pop_back();
    sim.envelope_hooks[tuf::kTimestampRole] = [](tuf::Envelope& e) { e.signatures.push_back(e.signatures.front()); };
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: 1 valid signature, threshold is 2");
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
  FetchOptions options;
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.stall_timeout = std::chrono::milliseconds(300);
  HttpFetcher slow(options);
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

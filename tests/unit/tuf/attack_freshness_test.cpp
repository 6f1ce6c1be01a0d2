// The TUF specification's attacks on freshness (section 1.5.2): fast-forward,
// indefinite freeze, a malicious mirror's stale metadata, mix-and-match and
// rollback, driven by the repository simulator against tuf::Client over
// real HTTP (the other attacks are in attack_test.cpp). Each checks the
// error, that the trusted files did not change (beyond what verified), and
// that a later good refresh still works.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "repository_simulator.h"
#include "upkeep/base/hash.h"
#include "upkeep/update/release_selector.h"

using namespace upkeep;
using namespace upkeep::test;

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
  const std::time_t start = sim.clock.unix_now();

  SECTION("timestamp") {
    sim.clock.set(FixedClock::at_unix(start + 2 * RepositorySimulator::kDay));
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: expired at " + tuf::format_time(sim.timestamp.expires));
    // The vendor's cron job signs a fresh timestamp.
    sim.timestamp.version++;
    sim.timestamp.expires = sim.clock.unix_now() + RepositorySimulator::kDay;
    sim.publish_timestamp();
  }
  SECTION("snapshot") {
    sim.clock.set(FixedClock::at_unix(start + 8 * RepositorySimulator::kDay));
    sim.timestamp.version++;
    sim.timestamp.expires = sim.clock.unix_now() + RepositorySimulator::kDay;
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: expired at " + tuf::format_time(sim.snapshot.expires));
    sim.snapshot.expires = sim.clock.unix_now() + 7 * RepositorySimulator::kDay;
    sim.snapshot.version++;
    sim.timestamp.version++;
    sim.publish();
  }
  SECTION("targets") {
    sim.clock.set(FixedClock::at_unix(start + 91 * RepositorySimulator::kDay));
    sim.snapshot.expires = sim.clock.unix_now() + 7 * RepositorySimulator::kDay;
    sim.timestamp.expires = sim.clock.unix_now() + RepositorySimulator::kDay;
    sim.snapshot.version++;
    sim.timestamp.version++;
    sim.timestamp.snapshot = sim.describe(sim.snapshot.version, sim.publish_snapshot());
    sim.publish_timestamp();
    CHECK(sim.refresh_refused(
              *client, ErrorCode::kVerification,
              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "3.snapshot.json"}})) ==
          "targets.json: expired at " + tuf::format_time(sim.targets.expires));
    sim.targets.expires = sim.clock.unix_now() + 90 * RepositorySimulator::kDay;
    sim.publish_new_versions();
  }
  SECTION("root") {
    sim.clock.set(FixedClock::at_unix(start + 366 * RepositorySimulator::kDay));
    sim.targets.expires = sim.clock.unix_now() + 90 * RepositorySimulator::kDay;
    sim.snapshot.expires = sim.clock.unix_now() + 7 * RepositorySimulator::kDay;
    sim.timestamp.expires = sim.clock.unix_now() + RepositorySimulator::kDay;
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "root.json: expired at " + tuf::format_time(sim.root.expires));
    sim.root.version = 2;
    sim.root.expires = sim.clock.unix_now() + 365 * RepositorySimulator::kDay;
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

// Root rotation chains (spec 5.3): every version N+1 must be signed by a
// threshold of version N's root keys and of its own, carry exactly version
// N+1, and only the final root's expiry matters.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "repository_simulator.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// Publishes the next root version, signed by its own keys and `also`.
std::string next_root(RepositorySimulator& sim, const std::vector<RepositorySimulator::KeyPtr>& also = {}) {
  sim.root.version++;
  return sim.publish_root(also);
}

}  // namespace

TEST_CASE("root rotation: 1 -> 2 -> 3 without key changes", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  next_root(sim);
  next_root(sim);
  sim.refresh_reaches_published(*client);
  CHECK(client->root()->version == 3);
  CHECK(sim.trusted_files()["root.json"] == sim.root_bytes(3));
  // Keys did not change: the cached timestamp and snapshot are kept, not fetched again.
  CHECK(sim.trusted_files()["timestamp.json"] == sim.read_meta("timestamp.json"));
}

TEST_CASE("root rotation: 1 -> 2 -> 3 with new keys at every step", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  for (int step = 0; step < 2; ++step) {
    auto old_root = sim.replace_keys(tuf::kRootRole);
    sim.replace_keys(tuf::kTimestampRole);
    sim.replace_keys(tuf::kSnapshotRole);
    sim.replace_keys(tuf::kTargetsRole);
    next_root(sim, old_root);
  }
  sim.publish_new_versions();  // signed by the keys of root 3 only
  sim.refresh_reaches_published(*client);
  CHECK(client->root()->version == 3);

  SECTION("and a threshold of 2 of 3 keys in the middle") {
    auto old_root = sim.replace_keys(tuf::kRootRole, 3);
    sim.root.roles[tuf::kRootRole].threshold = 2;
    next_root(sim, old_root);  // 4: 3 keys, threshold 2
    const auto four = sim.replace_keys(tuf::kRootRole);
    sim.root.roles[tuf::kRootRole].threshold = 1;
    // 5 (one key, threshold 1) is signed by two of the three keys of 4, plus its own one.
    next_root(sim, {four[0], four[2]});
    sim.refresh_reaches_published(*client);
    CHECK(client->root()->version == 5);
  }
}

TEST_CASE("root rotation: a bad intermediate root stops the chain", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  const std::string trusted_root = sim.trusted_files()["root.json"];

  SECTION("version 2 signed only by its new keys") {
    sim.replace_keys(tuf::kRootRole);
    next_root(sim);  // no signature by the key of version 1
    next_root(sim);  // version 3 itself is fine
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "2.root.json: 0 valid signatures by the keys of trusted root version 1, threshold is 1");
  }
  SECTION("version 2 signed only by the old keys") {
    auto old_root = sim.replace_keys(tuf::kRootRole);
    sim.signers[tuf::kRootRole].clear();
    next_root(sim, old_root);
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "2.root.json: 0 valid signatures by its own root keys, threshold is 1");
  }
  SECTION("2.root.json that says version 3 (a skip)") {
    sim.root.version = 3;
    sim.write_meta("2.root.json", sim.sign(tuf::kRootRole, sim.root.to_json()).to_text());
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) == "2.root.json: version is 3, expected 2");
  }
  SECTION("2.root.json that says version 1 (a replay)") {
    sim.write_meta("2.root.json", sim.root_bytes(1));
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) == "2.root.json: version is 1, expected 2");
  }
  SECTION("junk after the signed JSON") {
    sim.byte_hooks[tuf::kRootRole] = [](std::string& bytes) { bytes += "\n{\"evil\": 1}"; };
    next_root(sim);
    const auto msg = sim.refresh_refused(*client, ErrorCode::kVerification);
    CHECK(msg.rfind("2.root.json", 0) == 0);
  }
  CHECK(sim.trusted_files()["root.json"] == trusted_root);
  CHECK(client->root()->version == 1);
}

TEST_CASE("root rotation: a bad intermediate root can be replaced and the chain goes on", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  auto old_root = sim.replace_keys(tuf::kRootRole);
  sim.root.version = 2;
  sim.publish_root();  // forgot the old key
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
        "2.root.json: 0 valid signatures by the keys of trusted root version 1, threshold is 1");
  sim.publish_root(old_root);  // 2.root.json again, correctly cross-signed
  next_root(sim);
  sim.refresh_reaches_published(*client);
  CHECK(client->root()->version == 3);
}

TEST_CASE("root rotation: at most max_root_rotations new roots per refresh", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  for (int i = 0; i < 5; ++i) next_root(sim);  // up to version 6
  tuf::ClientLimits limits;
  limits.max_root_rotations = 3;
  auto client = sim.client(limits);
  client->refresh();
  CHECK(client->root()->version == 4);
  CHECK(sim.trusted_files()["root.json"] == sim.root_bytes(4));
  client->refresh();
  CHECK(client->root()->version == 6);
  CHECK(sim.trusted_files()["root.json"] == sim.root_bytes(6));
}

TEST_CASE("root rotation: expired intermediate roots are fine, an expired final root is not", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  const std::time_t start = sim.clock.unix_now();
  sim.clock.set(FixedClock::at_unix(start + 400 * RepositorySimulator::kDay));  // root 1 (365 days) has expired
  sim.targets.expires = sim.clock.unix_now() + 90 * RepositorySimulator::kDay;
  sim.snapshot.expires = sim.clock.unix_now() + 7 * RepositorySimulator::kDay;
  sim.timestamp.expires = sim.clock.unix_now() + RepositorySimulator::kDay;
  sim.publish_new_versions();

  sim.root.expires = start + 10 * RepositorySimulator::kDay;
  next_root(sim);  // 2: long expired

  SECTION("the final root is valid") {
    sim.root.expires = sim.clock.unix_now() + 365 * RepositorySimulator::kDay;
    next_root(sim);  // 3
    sim.refresh_reaches_published(*client);
    CHECK(client->root()->version == 3);
  }
  SECTION("the final root has expired") {
    next_root(sim);  // 3, also expired
    // The newer roots verified and are trusted (spec 5.3.7), yet the refresh fails.
    auto expected = sim.trusted_files();
    expected["root.json"] = sim.root_bytes(3);
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification, expected) ==
          "root.json: expired at " + tuf::format_time(sim.root.expires));
    CHECK(client->root()->version == 3);
    sim.root.expires = sim.clock.unix_now() + 365 * RepositorySimulator::kDay;
    next_root(sim);
    sim.refresh_reaches_published(*client);
  }
}

TEST_CASE("root rotation: a rotated timestamp key drops the cached timestamp and snapshot", "[tuf][root_rotation]") {
  RepositorySimulator sim;
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  sim.replace_keys(tuf::kTimestampRole);
  next_root(sim);
  // The repository is unreachable after the root: the old files are gone anyway.
  std::filesystem::remove(sim.meta_path("timestamp.json"));
  auto expected = sim.trusted_files();
  expected["root.json"] = sim.root_bytes(2);
  expected.erase("timestamp.json");
  expected.erase("snapshot.json");
  sim.refresh_refused(*client, ErrorCode::kNetwork, expected);
  sim.publish_timestamp();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("key types: a repository signed with each key type", "[tuf][key_types]") {
  const tuf::KeyType type = GENERATE(tuf::KeyType::kEd25519, tuf::KeyType::kEcdsa, tuf::KeyType::kRsa);
  RepositorySimulator sim(std::time(nullptr), type);
  sim.add_target("demo/1.0.0/linux-x86_64/package.zip", "package");
  sim.publish_new_versions();
  auto client = sim.client();
  sim.refresh_reaches_published(*client);
  for (const auto& [id, key] : client->root()->keys) CHECK(key->type() == type);

  // One changed signature byte: the only signature no longer counts.
  sim.envelope_hooks[tuf::kTimestampRole] = [](tuf::Envelope& e) {
    std::string& sig = e.signatures.front().sig;
    sig.back() = sig.back() == '0' ? '1' : '0';
  };
  sim.publish_new_versions();
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) == "timestamp.json: 0 valid signatures, threshold is 1");
  sim.envelope_hooks.clear();
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("key types: root and timestamp keys rotated from ed25519 to ecdsa to rsa", "[tuf][key_types]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  for (tuf::KeyType type : {tuf::KeyType::kEcdsa, tuf::KeyType::kRsa}) {
    const auto old_root = sim.signers[tuf::kRootRole];
    for (const char* role : {tuf::kRootRole, tuf::kTimestampRole}) {
      for (const auto& k : std::vector<RepositorySimulator::KeyPtr>(sim.signers[role]))
        sim.revoke_key(role, k->key_id());
      sim.add_key(role, tuf::PrivateKey::generate(type));
    }
    next_root(sim, old_root);
    sim.publish_new_versions();
    sim.refresh_reaches_published(*client);
    CHECK(client->root()->keys.at(client->root()->role(tuf::kRootRole).keyids.at(0))->type() == type);
  }
  CHECK(client->root()->version == 3);
}

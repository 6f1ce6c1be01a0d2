// TUF client conformance points that python-tuf passes and the reference
// behaviour requires (issue #17): key ids are identifiers, spec_version is
// checked by major version only, duplicate signature key ids make a file
// invalid, unusable keys are ignored, and fast-forward attack recovery
// (spec 5.3.11) for the timestamp, snapshot and targets roles. Metadata is
// built by hand in the repository simulator and signed with our keys;
// tuf::Client reads it over real HTTP.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "repository_simulator.h"
#include "upkeep/base/hash.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

const std::string kPackage = "demo/1.0.0/linux-x86_64/package.zip";

std::string sha512_id(const tuf::PrivateKey& k) {
  return hash_hex(HashAlgorithm::kSha512, k.public_key().to_json().dump_canonical());
}

// The key form older securesystemslib wrote: an extra "keyid_hash_algorithms"
// field, and the key id computed over the key with that field.
Json legacy_key_form(const tuf::PrivateKey& k) {
  Json j = k.public_key().to_json();
  j["keyid_hash_algorithms"] = Json::array();
  j["keyid_hash_algorithms"].push_back("sha256");
  j["keyid_hash_algorithms"].push_back("sha512");
  return j;
}

// A key of a type this client does not implement, as another TUF tool may list it.
std::shared_ptr<const tuf::PublicKey> post_quantum_key() {
  return tuf::PublicKey::from_metadata(
      Json::parse(R"({"keytype":"sphincs","scheme":"sphincs-shake-128s","keyval":{"public":"00ff"}})"), "keys.pq");
}

void bump_root(RepositorySimulator& sim, const std::vector<RepositorySimulator::KeyPtr>& also = {}) {
  sim.root.version++;
  sim.publish_root(also);
}

// The vendor's remedy for a fast-forward attack: a new root with a new snapshot key.
void rotate_snapshot_key(RepositorySimulator& sim) {
  sim.replace_keys(tuf::kSnapshotRole);
  bump_root(sim);
}

}  // namespace

TEST_CASE("key ids are identifiers: ids that are not our SHA-256 of the key are used as given", "[tuf][conformance]") {
  RepositorySimulator sim;
  SECTION("SHA-512 key ids") { sim.rename_keys(sha512_id); }
  SECTION("arbitrary strings") {
    std::map<const tuf::PrivateKey*, std::string> names;
    sim.rename_keys([&](const tuf::PrivateKey& k) {
      return names.emplace(&k, "vendor key #" + std::to_string(names.size() + 1) + " (ed25519)").first->second;
    });
  }
  SECTION("keys with an extra field, ids over that form (securesystemslib's keyid_hash_algorithms)") {
    sim.rename_keys([](const tuf::PrivateKey& k) { return sha256_hex(legacy_key_form(k).dump_canonical()); },
                    [&](Json& root) {
                      for (auto& [id, key] : root["keys"].as_object())
                        key["keyid_hash_algorithms"] =
                            legacy_key_form(*sim.signers.at(tuf::kRootRole).front()).at("keyid_hash_algorithms");
                    });
    CHECK(sim.read_meta("1.root.json").find("keyid_hash_algorithms") != std::string::npos);
  }
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  auto client = sim.client();
  sim.refresh_reaches_published(*client);
  CHECK(client->target_info(kPackage));
  for (const auto& [id, key] : client->root()->keys) CHECK(id != key->key_id());

  // A rotation and a delegation keep working with ids of any form.
  sim.replace_keys(tuf::kTimestampRole);
  sim.key_ids[sim.signers.at(tuf::kTimestampRole).front().get()] = "timestamp key, second generation";
  sim.root.keys.clear();
  for (const auto& [role, keys] : sim.signers)
    for (const auto& k : keys) sim.root.keys[sim.id_of(*k)] = tuf::PublicKey::from_json(k->public_key().to_json());
  sim.root.roles[tuf::kTimestampRole].keyids = {"timestamp key, second generation"};
  bump_root(sim);
  sim.delegate(tuf::kTargetsRole, "team", {"team/*"}, false, "team key 1");
  sim.add_target("team/tool.zip", "tool", Json::object(), "team");
  sim.delegated.at("team").version = 2;
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
  CHECK(client->target_info("team/tool.zip"));
}

TEST_CASE("a key listed under two ids still counts once towards a threshold", "[tuf][conformance]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  auto ts_key = sim.signers.at(tuf::kTimestampRole).front();
  sim.root.keys["alias"] = sim.root.keys.at(ts_key->key_id());
  sim.root.roles[tuf::kTimestampRole].keyids.push_back("alias");
  sim.root.roles[tuf::kTimestampRole].threshold = 2;
  bump_root(sim);
  sim.envelope_hooks[tuf::kTimestampRole] = [ts_key](tuf::Envelope& e) { e.sign(*ts_key, "alias"); };
  sim.publish_new_versions();
  CHECK(
      sim.refresh_refused(*client, ErrorCode::kVerification, sim.trusted_files_with({{"root.json", "2.root.json"}})) ==
      "timestamp.json: 1 valid signature, threshold is 2");
}

TEST_CASE("keys of types this client cannot use are ignored, a threshold of usable keys suffices",
          "[tuf][conformance]") {
  RepositorySimulator sim;
  // In the trusted starting root: a root key and a timestamp key we cannot use.
  sim.root.keys["pq"] = post_quantum_key();
  sim.root.roles[tuf::kRootRole].keyids.push_back("pq");
  sim.root.roles[tuf::kTimestampRole].keyids.push_back("pq");
  sim.rename_keys([](const tuf::PrivateKey& k) { return k.key_id(); });
  CHECK(sim.read_meta("1.root.json").find("sphincs-shake-128s") != std::string::npos);
  // A signature under the unusable key's id never counts, and does no harm.
  sim.envelope_hooks[tuf::kTimestampRole] = [](tuf::Envelope& e) { e.signatures.push_back({"pq", "00ff"}); };
  sim.publish_new_versions();
  auto client = sim.client();
  sim.refresh_reaches_published(*client);
  CHECK(client->root()->keys.at("pq")->type() == tuf::KeyType::kUnsupported);
  CHECK(client->root()->keys.at("pq")->to_json().get_string("keytype") == "sphincs");

  // A threshold that needs the unusable key cannot be met.
  sim.root.roles[tuf::kTimestampRole].threshold = 2;
  bump_root(sim);
  sim.publish_new_versions();
  CHECK(
      sim.refresh_refused(*client, ErrorCode::kVerification, sim.trusted_files_with({{"root.json", "2.root.json"}})) ==
      "timestamp.json: 1 valid signature, threshold is 2");
}

TEST_CASE("spec_version: any 1.x is read, another major version is refused", "[tuf][conformance]") {
  RepositorySimulator sim;
  auto client = sim.client();
  const std::string accepted = GENERATE("1.0", "1.0.31", "1.1", "1.2.0", "1.0.0");
  for (tuf::MetadataHeader* h :
       std::vector<tuf::MetadataHeader*>{&sim.root, &sim.timestamp, &sim.snapshot, &sim.targets})
    h->spec_version = accepted;
  bump_root(sim);
  sim.publish_new_versions();
  INFO("spec_version " << accepted);
  sim.refresh_reaches_published(*client);

  const auto [refused, message] = GENERATE(table<std::string, std::string>(
      {{"2.0.0", "timestamp.json: spec_version '2.0.0' has major version 2; this client implements TUF 1.x (1.0.31)"},
       {"0.9", "timestamp.json: spec_version '0.9' has major version 0; this client implements TUF 1.x (1.0.31)"},
       {"1", "timestamp.json: spec_version '1' is not a version like 1.0 or 1.0.31"},
       {"1.0.0.0", "timestamp.json: spec_version '1.0.0.0' is not a version like 1.0 or 1.0.31"},
       {"1.x", "timestamp.json: spec_version '1.x' is not a version like 1.0 or 1.0.31"},
       {"+1.0", "timestamp.json: spec_version '+1.0' is not a version like 1.0 or 1.0.31"}}));
  sim.timestamp.spec_version = refused;
  sim.publish_new_versions();
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) == message);
}

TEST_CASE("two signatures with one key id make a metadata file invalid", "[tuf][conformance]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  const std::string role = GENERATE(as<std::string>{}, "timestamp", "snapshot", "targets", "root", "team");
  sim.delegate(tuf::kTargetsRole, "team", {"team/*"});
  sim.add_target("team/tool.zip", "tool", Json::object(), "team");
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
  const std::string id = sim.signers.at(role).front()->key_id();
  // Once the same signature again, once a second (valid) signature under the same id.
  const bool same = GENERATE(true, false);
  sim.envelope_hooks[role] = [same](tuf::Envelope& e) {
    e.signatures.push_back(same ? e.signatures.front() : tuf::Signature{e.signatures.front().keyid, "00"});
  };
  if (role == "root") bump_root(sim);
  if (role == "team") sim.delegated.at("team").version++;
  sim.publish_new_versions();
  const std::string file = role == "root" ? "2.root.json" : role + ".json";
  const std::string expected = file + ": signatures[1]: more than one signature by key id " + id;
  if (role == "team") {
    client->refresh();
    CHECK(error_of([&] { client->target_info("team/tool.zip"); }, ErrorCode::kVerification) == expected);
  } else {
    auto files = sim.trusted_files();
    if (role == "snapshot") files = sim.trusted_files_with({{"timestamp.json", "timestamp.json"}});
    if (role == "targets")
      files = sim.trusted_files_with({{"timestamp.json", "timestamp.json"}, {"snapshot.json", "3.snapshot.json"}});
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification, files) == expected);
  }
}

TEST_CASE("fast-forward recovery: a targets version pushed ahead is reset by rotating the snapshot key",
          "[tuf][conformance][fast_forward]") {
  RepositorySimulator sim;
  sim.add_target(kPackage, "package");
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();

  // With the stolen targets and snapshot keys the attacker lists targets version 100.
  sim.targets.version = 100;
  sim.publish_new_versions();  // targets 101, snapshot 3, timestamp 3
  sim.refresh_reaches_published(*client);
  REQUIRE(client->targets_version() == 101);

  // The vendor's repository goes on from its own targets version 3.
  sim.targets.version = 2;
  SECTION("without a key rotation, the lower version is a rollback") {
    sim.publish_new_versions();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification,
                              sim.trusted_files_with({{"timestamp.json", "timestamp.json"}})) ==
          "snapshot.json: lists targets.json version 3, older than trusted version 101");
    CHECK(client->targets_version() == 0);
  }
  SECTION("after the snapshot key is rotated, the snapshot's record of targets versions is dropped") {
    rotate_snapshot_key(sim);
    sim.publish_new_versions();
    sim.refresh_reaches_published(*client);
    CHECK(client->targets_version() == 3);
    CHECK(sim.trusted_files()["targets.json"] == sim.read_meta("3.targets.json"));
    CHECK(sim.trusted_files()["snapshot.json"] == sim.read_meta("4.snapshot.json"));
  }
}

TEST_CASE("fast-forward recovery: every version reset after only the snapshot key is rotated",
          "[tuf][conformance][fast_forward]") {
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  sim.targets.version = sim.snapshot.version = sim.timestamp.version = 1000;
  sim.publish();
  sim.refresh_reaches_published(*client);

  // The vendor starts again from version 2 of everything (the attacker's files removed).
  for (const char* f : {"1000.targets.json", "1000.snapshot.json"}) std::filesystem::remove(sim.meta_path(f));
  sim.targets.version = sim.snapshot.version = sim.timestamp.version = 2;
  SECTION("without a key rotation it is refused") {
    sim.publish();
    CHECK(sim.refresh_refused(*client, ErrorCode::kVerification) ==
          "timestamp.json: version 2 is older than trusted version 1000");
  }
  SECTION("after the snapshot key is rotated it is accepted: the trusted timestamp and snapshot were dropped") {
    rotate_snapshot_key(sim);
    sim.publish();
    sim.refresh_reaches_published(*client);
    CHECK(client->timestamp_version() == 2);
    CHECK(client->targets_version() == 2);
    const auto files = sim.trusted_files();
    CHECK(files.at("root.json") == sim.root_bytes(2));
    CHECK(files.at("snapshot.json") == sim.read_meta("2.snapshot.json"));
    CHECK(files.at("targets.json") == sim.read_meta("2.targets.json"));
  }
}

TEST_CASE("fast-forward recovery: which trusted files each key rotation drops", "[tuf][conformance][fast_forward]") {
  RepositorySimulator sim;
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  REQUIRE(sim.trusted_files().size() == 4);
  const auto [role, dropped] = GENERATE(table<std::string, std::vector<std::string>>({
      {"timestamp", {"timestamp.json", "snapshot.json"}},
      {"snapshot", {"timestamp.json", "snapshot.json"}},
      {"targets", {"targets.json"}},
      {"root", {}},
  }));
  INFO("rotated: " << role);
  auto old = sim.replace_keys(role);
  bump_root(sim, role == "root" ? old : std::vector<RepositorySimulator::KeyPtr>{});
  // The repository is unreachable after the new root: only the drop is visible.
  std::filesystem::remove(sim.meta_path("timestamp.json"));
  auto expected = sim.trusted_files();
  expected["root.json"] = sim.root_bytes(2);
  for (const auto& name : dropped) expected.erase(name);
  sim.refresh_refused(*client, ErrorCode::kNetwork, expected);
  CHECK(client->timestamp_version() == 0);
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

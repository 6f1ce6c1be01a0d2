// Hash algorithms in the listings of metadata (timestamp -> snapshot,
// snapshot -> targets) and of target files: sha256 and sha512 each, both,
// an unknown algorithm alone (never a match), and one wrong hash of two.
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "repository_simulator.h"
#include "upkeep/base/hash.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

// New versions of everything, with the listing of `role` (snapshot in the
// timestamp, or targets in the snapshot) changed by `edit` before the role
// above it is signed.
void publish_with_listing(RepositorySimulator& sim, const std::string& role,
                          const std::function<void(tuf::MetaFile&)>& edit) {
  sim.publish_new_versions();
  if (role == tuf::kTargetsRole) {
    edit(sim.snapshot.meta["targets.json"]);
    sim.timestamp.snapshot = sim.describe(sim.snapshot.version, sim.publish_snapshot());
  } else {
    edit(sim.timestamp.snapshot);
  }
  sim.publish_timestamp();
}

// The trusted files after a refresh that verified everything above `role`.
std::map<std::string, std::string> verified_above(RepositorySimulator& sim, const std::string& role) {
  if (role == tuf::kSnapshotRole) return sim.trusted_files_with({{"timestamp.json", "timestamp.json"}});
  return sim.trusted_files_with({{"timestamp.json", "timestamp.json"},
                                 {"snapshot.json", std::to_string(sim.snapshot.version) + ".snapshot.json"}});
}

}  // namespace

TEST_CASE("hash algorithms: metadata listed with sha256, sha512 or both is accepted", "[tuf][hash]") {
  const std::string role = GENERATE(std::string(tuf::kSnapshotRole), std::string(tuf::kTargetsRole));
  auto algorithms =
      GENERATE(std::set<std::string>{"sha256"}, std::set<std::string>{"sha512"},
               std::set<std::string>{"sha256", "sha512"}, std::set<std::string>{"sha512", "x-unknown-hash"});
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  sim.meta_hash_algorithms = algorithms;
  sim.publish_new_versions();
  const auto& listing = role == tuf::kSnapshotRole ? sim.timestamp.snapshot : sim.snapshot.meta["targets.json"];
  REQUIRE(listing.hashes.size() == algorithms.size());
  sim.refresh_reaches_published(*client);
  // The listings really carry the algorithm: sha512 is 128 hex digits.
  if (algorithms.count("sha512")) CHECK(listing.hashes.at("sha512").size() == 128);
}

TEST_CASE("hash algorithms: an unknown algorithm alone is not a match", "[tuf][hash]") {
  const std::string role = GENERATE(std::string(tuf::kSnapshotRole), std::string(tuf::kTargetsRole));
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  // The value would even be the right sha256: the name is what must not count.
  publish_with_listing(sim, role, [](tuf::MetaFile& m) { m.hashes = {{"x-unknown-hash", m.hashes.at("sha256")}}; });
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification, verified_above(sim, role)) ==
        role + ".json: no supported hash algorithm listed (expected sha256 or sha512)");
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("hash algorithms: one wrong hash of two listed is refused", "[tuf][hash]") {
  const std::string role = GENERATE(std::string(tuf::kSnapshotRole), std::string(tuf::kTargetsRole));
  const std::string wrong = GENERATE(std::string("sha256"), std::string("sha512"));
  RepositorySimulator sim;
  auto client = sim.client();
  client->refresh();
  sim.meta_hash_algorithms = {"sha256", "sha512"};
  std::string right_value, wrong_value;
  publish_with_listing(sim, role, [&](tuf::MetaFile& m) {
    right_value = m.hashes.at(wrong);
    wrong_value = std::string(right_value.size(), 'a');
    m.hashes[wrong] = wrong_value;
  });
  CHECK(sim.refresh_refused(*client, ErrorCode::kVerification, verified_above(sim, role)) ==
        role + ".json: " + wrong + " is " + right_value + ", expected " + wrong_value);
  sim.publish_new_versions();
  sim.refresh_reaches_published(*client);
}

TEST_CASE("hash algorithms: target files listed with sha256, sha512 or both", "[tuf][hash]") {
  RepositorySimulator sim;
  const std::string path = "demo/1.0.0/linux-x86_64/package.zip";
  const std::string content = "package bytes";
  sim.target_hash_algorithms = GENERATE(std::set<std::string>{"sha256"}, std::set<std::string>{"sha512"},
                                        std::set<std::string>{"sha256", "sha512"});
  const tuf::TargetFile listed = sim.add_target(path, content);
  sim.publish_new_versions();
  auto client = sim.client();
  client->refresh();
  auto t = client->find_target(path);
  REQUIRE(t);
  CHECK(t->hashes == listed.hashes);

  // The consistent-snapshot name carries one of the listed hashes, and the
  // bytes there verify against every listed hash.
  const std::string url = client->target_url(*t);
  const std::string name_hash = listed.hashes.count("sha256") ? listed.hashes.at("sha256") : listed.hashes.at("sha512");
  CHECK(url == sim.base_url() + "targets/demo/1.0.0/linux-x86_64/" + name_hash + ".package.zip");
  const std::string fetched = sim.fetcher.get(url, t->length);
  tuf::check_length_and_hashes(fetched, t->length, t->hashes, path);
  CHECK(fetched == content);

  // A substituted file fails on whichever hash is listed.
  sim.write_target_file(listed, "packagE bytes");
  const std::string evil = sim.fetcher.get(url, t->length);
  const auto msg =
      error_of([&] { tuf::check_length_and_hashes(evil, t->length, t->hashes, path); }, ErrorCode::kVerification);
  CHECK(msg.rfind(path + ": sha", 0) == 0);
}

TEST_CASE("hash algorithms: target files with an unknown algorithm only, or one wrong hash", "[tuf][hash]") {
  const std::string content = "package bytes";
  std::map<std::string, std::string> hashes{{"sha256", sha256_hex(content)},
                                            {"sha512", hash_hex(HashAlgorithm::kSha512, content)}};
  SECTION("unknown only") {
    CHECK(error_of(
              [&] {
                tuf::check_length_and_hashes(content, content.size(), {{"md5", hashes["sha256"]}}, "t");
              },
              ErrorCode::kVerification) == "t: no supported hash algorithm listed (expected sha256 or sha512)");
  }
  SECTION("sha512 wrong, sha256 right") {
    const std::string bad = std::string(128, 'b');
    hashes["sha512"] = bad;
    CHECK(error_of([&] { tuf::check_length_and_hashes(content, content.size(), hashes, "t"); },
                   ErrorCode::kVerification) ==
          "t: sha512 is " + hash_hex(HashAlgorithm::kSha512, content) + ", expected " + bad);
  }
  SECTION("both right, plus an unknown one") {
    hashes["blake3"] = std::string(64, 'c');
    CHECK_NOTHROW(tuf::check_length_and_hashes(content, content.size(), hashes, "t"));
  }
}

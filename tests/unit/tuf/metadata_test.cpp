#include "upkeep/tuf/metadata.h"

#include <catch2/catch.hpp>
#include <functional>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

using namespace upkeep;
using namespace upkeep::tuf;

namespace {

struct Signers {
  std::unique_ptr<PrivateKey> a = PrivateKey::generate_ed25519();
  std::unique_ptr<PrivateKey> b = PrivateKey::generate_ed25519();
  std::unique_ptr<PrivateKey> c = PrivateKey::generate_ed25519();
  KeyMap keys;
  RoleKeys role;  // a and b, threshold 2
  Signers() {
    for (auto* k : {a.get(), b.get(), c.get()}) keys[k->key_id()] = PublicKey::from_json(k->public_key().to_json());
    role.keyids = {a->key_id(), b->key_id()};
    role.threshold = 2;
  }
};

Envelope targets_envelope() {
  TargetsMetadata t;
  t.version = 3;
  t.expires = parse_time("2030-01-01T00:00:00Z", "expires");
  Envelope e;
  e.signed_json = t.to_json();
  return e;
}

std::string error_message(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("threshold counts valid signatures by role keys", "[tuf]") {
  Signers s;
  Envelope e = targets_envelope();
  e.sign(*s.a);
  CHECK(count_valid_signatures(e, s.keys, s.role) == 1);
  auto err = error_message([&] { verify_threshold(e, s.keys, s.role, "targets.json"); });
  CHECK(err == "targets.json: 1 valid signature, threshold is 2");

  e.sign(*s.c);  // a valid signature, but c is not a key of the role
  CHECK(count_valid_signatures(e, s.keys, s.role) == 1);
  e.sign(*s.b);
  CHECK(count_valid_signatures(e, s.keys, s.role) == 2);
  CHECK_NOTHROW(verify_threshold(e, s.keys, s.role, "targets.json"));
}

TEST_CASE("a duplicated key id counts once, and a file with one makes no envelope", "[tuf]") {
  Signers s;
  Envelope e = targets_envelope();
  e.sign(*s.a);
  e.signatures.push_back(e.signatures[0]);
  e.signatures.push_back(e.signatures[0]);
  CHECK(count_valid_signatures(e, s.keys, s.role) == 1);
  CHECK_THROWS_WITH(verify_threshold(e, s.keys, s.role, "targets.json"),
                    "targets.json: 1 valid signature, threshold is 2");
  CHECK(error_message([&] { Envelope::parse(e.to_text(), "targets.json"); }) ==
        "targets.json: signatures[1]: more than one signature by key id " + s.a->key_id());
}

TEST_CASE("a modified byte in the signed part invalidates the signatures", "[tuf]") {
  Signers s;
  Envelope e = targets_envelope();
  e.sign(*s.a);
  e.sign(*s.b);
  // Re-parse the text with one value changed, as an attacker would edit the file.
  std::string text = e.to_text();
  auto pos = text.find("\"version\": 3");
  REQUIRE(pos != std::string::npos);
  text[pos + 11] = '4';
  Envelope tampered = Envelope::parse(text, "targets.json");
  CHECK(count_valid_signatures(tampered, s.keys, s.role) == 0);
  CHECK_THROWS_WITH(verify_threshold(tampered, s.keys, s.role, "targets.json"),
                    "targets.json: 0 valid signatures, threshold is 2");
  // Layout does not matter: the pretty file verifies as the canonical form.
  CHECK(count_valid_signatures(Envelope::parse(e.to_text(), "targets.json"), s.keys, s.role) == 2);
}

TEST_CASE("signed bytes are the canonical form of the signed object", "[tuf]") {
  Envelope e = Envelope::parse(R"({"signatures": [], "signed": {"b": [1, "x"], "a": {"z": null, "y": true}}})", "t");
  CHECK(e.canonical_signed() == R"({"a":{"y":true,"z":null},"b":[1,"x"]})");
}

TEST_CASE("metadata round-trips through JSON", "[tuf]") {
  Signers s;
  RootMetadata root;
  root.version = 7;
  root.expires = parse_time("2031-05-06T07:08:09Z", "expires");
  for (auto* k : {s.a.get(), s.b.get()}) root.keys[k->key_id()] = s.keys[k->key_id()];
  for (const char* role : {kRootRole, kTimestampRole, kSnapshotRole, kTargetsRole}) root.roles[role] = s.role;
  RootMetadata again = RootMetadata::parse(Json::parse(root.to_json().dump()));
  CHECK(again.version == 7);
  CHECK(format_time(again.expires) == "2031-05-06T07:08:09Z");
  CHECK(again.role(kTargetsRole).keyids == s.role.keyids);
  CHECK(again.role(kTargetsRole).threshold == 2);
  CHECK(again.to_json() == root.to_json());

  TargetsMetadata t;
  TargetFile f;
  f.path = "demo/1.0.0/linux-x86_64/package.zip";
  f.length = 12;
  f.hashes["sha256"] = sha256_hex("abc");
  f.custom["rollout"] = 50;
  t.targets[f.path] = f;
  TargetsMetadata t2 = TargetsMetadata::parse(t.to_json());
  REQUIRE(t2.targets.count(f.path));
  CHECK(t2.targets[f.path].sha256() == sha256_hex("abc"));
  CHECK(t2.targets[f.path].custom.get_int("rollout") == 50);
}

TEST_CASE("metadata parse errors name the file and the field", "[tuf]") {
  TimestampMetadata ts;
  ts.expires = parse_time("2030-01-01T00:00:00Z", "expires");
  const Json good = ts.to_json();
  auto with = [&](const char* field, Json value) {
    Json j = good;
    j[field] = std::move(value);
    return error_message([&] { TimestampMetadata::parse(j); });
  };
  auto with_ok = [&](const char* field, Json value) {
    Json j = good;
    j[field] = std::move(value);
    return TimestampMetadata::parse(j);
  };
  CHECK(with("_type", "snapshot") == "timestamp.json: _type is 'snapshot', expected 'timestamp'");
  CHECK(with("version", "2") == "timestamp.json: field 'version' must be an integer, found a string");
  CHECK(with("version", 0) == "timestamp.json: field 'version' must be at least 1, found 0");
  CHECK(with("expires", "2030-13-01T00:00:00Z") ==
        "timestamp.json: expires: '2030-13-01T00:00:00Z' is not a time like 2030-01-31T00:00:00Z");
  CHECK(with("spec_version", "2.0.0") ==
        "timestamp.json: spec_version '2.0.0' has major version 2; this client implements TUF 1.x (1.0.31)");
  CHECK(with("spec_version", "1.0.31-rc") ==
        "timestamp.json: spec_version '1.0.31-rc' is not a version like 1.0 or 1.0.31");
  for (const char* ok : {"1.0", "1.0.31", "1.1", "1.99.0"}) CHECK_NOTHROW(with_ok("spec_version", ok));
  Json no_len = good;
  no_len["meta"]["snapshot.json"]["length"] = -1;
  CHECK(error_message([&] { TimestampMetadata::parse(no_len); }) ==
        "timestamp.json: meta.snapshot.json: field 'length' must not be negative");
  Json no_meta = good;
  no_meta.as_object().erase("meta");
  CHECK(error_message([&] { TimestampMetadata::parse(no_meta); }) == "timestamp.json: missing field 'meta'");

  TargetsMetadata t;
  Json targets = t.to_json();
  targets["targets"]["a/b.zip"] = Json::parse(R"({"length": 3, "hashes": {}})");
  CHECK(error_message([&] { TargetsMetadata::parse(targets); }) ==
        "targets.json: targets.a/b.zip: field 'hashes' must list at least one hash");

  CHECK(error_message([] { Envelope::parse(R"({"signed": {}, "signatures": [{"keyid": 1}]})", "root.json"); }) ==
        "root.json: signatures[0]: field 'keyid' must be a string, found an integer");
}

TEST_CASE("root key ids are used as given, roles list only known keys", "[tuf]") {
  Signers s;
  RootMetadata root;
  root.expires = parse_time("2030-01-01T00:00:00Z", "expires");
  root.keys[s.a->key_id()] = s.keys[s.a->key_id()];
  for (const char* role : {kRootRole, kTimestampRole, kSnapshotRole, kTargetsRole})
    root.roles[role] = RoleKeys{{s.a->key_id()}, 1};
  Json j = root.to_json();
  CHECK_NOTHROW(RootMetadata::parse(j));

  // Not our SHA-256 of the key: an identifier all the same (and one key
  // listed twice counts once: count_valid_signatures).
  Json other_id = j;
  other_id["keys"]["00ff"] = s.a->public_key().to_json();
  other_id["roles"]["timestamp"]["keyids"] = Json::parse(R"(["00ff"])");
  RootMetadata parsed = RootMetadata::parse(other_id);
  CHECK(parsed.role(kTimestampRole).keyids == std::vector<std::string>{"00ff"});
  CHECK(parsed.keys.at("00ff")->public_value() == s.a->public_key().public_value());

  Json not_a_key = j;
  not_a_key["keys"]["00ff"] = Json::parse(R"({"keytype": "ed25519", "scheme": "ed25519", "keyval": "abc"})");
  CHECK(error_message([&] { RootMetadata::parse(not_a_key); }) ==
        "root.json: keys.00ff: field 'keyval' must be an object");

  Json unknown = j;
  unknown["roles"]["snapshot"]["keyids"] = Json::parse("[\"" + s.b->key_id() + "\"]");
  CHECK(error_message([&] { RootMetadata::parse(unknown); }) ==
        "root.json: roles.snapshot: key id " + s.b->key_id() + " is not in 'keys'");

  Json no_role = j;
  no_role["roles"].as_object().erase("timestamp");
  CHECK(error_message([&] { RootMetadata::parse(no_role); }) ==
        "root.json: roles.timestamp: missing field 'timestamp'");
}

TEST_CASE("length and hash checks never accept an unknown algorithm", "[tuf]") {
  const std::string data = "snapshot bytes";
  std::map<std::string, std::string> hashes{{"sha256", sha256_hex(data)}};
  CHECK_NOTHROW(check_length_and_hashes(data, data.size(), hashes, "snapshot.json"));
  hashes["sha512"] = hash_hex(HashAlgorithm::kSha512, data);
  CHECK_NOTHROW(check_length_and_hashes(data, std::nullopt, hashes, "snapshot.json"));
  CHECK_THROWS_WITH(check_length_and_hashes(data, data.size() + 1, hashes, "snapshot.json"),
                    "snapshot.json: length is 14 bytes, expected 15");
  hashes["sha256"] = sha256_hex("other");
  CHECK_THROWS_WITH(check_length_and_hashes(data, std::nullopt, hashes, "snapshot.json"),
                    "snapshot.json: sha256 is " + sha256_hex(data) + ", expected " + sha256_hex("other"));
  std::map<std::string, std::string> unknown{{"md5", "00"}};
  CHECK_THROWS_WITH(check_length_and_hashes(data, std::nullopt, unknown, "snapshot.json"),
                    "snapshot.json: no supported hash algorithm listed (expected sha256 or sha512)");
}

TEST_CASE("expiry is checked against the given clock", "[tuf]") {
  MetadataHeader h;
  h.expires = parse_time("2026-01-01T00:00:00Z", "expires");
  CHECK_NOTHROW(h.check_not_expired(h.expires - 1, "snapshot.json"));
  CHECK_THROWS_WITH(h.check_not_expired(h.expires, "snapshot.json"), "snapshot.json: expired at 2026-01-01T00:00:00Z");
}

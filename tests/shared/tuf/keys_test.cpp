#include "tuf/keys.h"

#include <catch2/catch.hpp>

#include "error.h"
#include "hash.h"

using namespace upkeep;
using namespace upkeep::tuf;

namespace {

// RFC 8032 section 7.1, TEST 1 (empty message).
const char* kRfcSecret = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const char* kRfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const char* kRfcSignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
    "5141438e7a100b";

Json rfc_key_file() {
  return Json::parse(std::string(R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":")") + kRfcPublic +
                     R"(","private":")" + kRfcSecret + R"("}})");
}

}  // namespace

TEST_CASE("ed25519 matches the RFC 8032 test vector", "[tuf]") {
  auto key = PrivateKey::from_json(rfc_key_file());
  CHECK(key->public_key().public_value() == kRfcPublic);
  CHECK(to_hex(key->sign("")) == kRfcSignature);
  std::string sig;
  REQUIRE(from_hex(kRfcSignature, sig));
  CHECK(key->public_key().verify("", sig));
}

TEST_CASE("key id is the sha256 of the canonical public key object", "[tuf]") {
  auto key = PrivateKey::from_json(rfc_key_file());
  const std::string canonical =
      std::string(R"({"keytype":"ed25519","keyval":{"public":")") + kRfcPublic + R"("},"scheme":"ed25519"})";
  CHECK(key->public_key().to_json().dump_canonical() == canonical);
  CHECK(key->key_id() == sha256_hex(canonical));
  CHECK(key->key_id().size() == 64);
}

TEST_CASE("signatures verify only for the right key and the exact message", "[tuf]") {
  auto a = PrivateKey::generate_ed25519();
  auto b = PrivateKey::generate_ed25519();
  CHECK(a->key_id() != b->key_id());
  const std::string message = R"({"_type":"targets","version":1})";
  std::string sig = a->sign(message);
  CHECK(a->public_key().verify(message, sig));
  CHECK_FALSE(b->public_key().verify(message, sig));  // wrong key
  std::string modified = message;
  modified[10] ^= 1;
  CHECK_FALSE(a->public_key().verify(modified, sig));  // one bit of the message
  std::string bad_sig = sig;
  bad_sig[0] ^= 1;
  CHECK_FALSE(a->public_key().verify(message, bad_sig));
  CHECK_FALSE(a->public_key().verify(message, sig.substr(1)));  // wrong length
}

TEST_CASE("key files round-trip and a mismatched public half is refused", "[tuf]") {
  auto key = PrivateKey::generate_ed25519();
  Json file = key->to_json();
  auto again = PrivateKey::from_json(file);
  CHECK(again->key_id() == key->key_id());
  CHECK(again->public_key().verify("x", key->sign("x")));

  file["keyval"]["public"] = kRfcPublic;
  try {
    PrivateKey::from_json(file, "keys/targets.key");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::kBadInput);
    CHECK(std::string(e.what()) == "keys/targets.key: keyval.public does not belong to keyval.private");
  }
}

TEST_CASE("public key parse errors name the field and unsupported schemes", "[tuf]") {
  auto message_for = [](const char* text) {
    try {
      PublicKey::from_json(Json::parse(text), "keys.abc");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::kBadInput);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message_for(R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"abcd"}})") ==
        "keys.abc: keyval.public must be 64 hex digits");
  CHECK(message_for(R"({"keytype":"ed25519","scheme":"ed25519"})") == "keys.abc: missing field 'keyval'");
  CHECK(message_for(R"({"keytype":"rsa","scheme":"rsassa-pss-sha256","keyval":{"public":"x"}})") ==
        "keys.abc: unsupported key type 'rsa' with scheme 'rsassa-pss-sha256' (supported: ed25519/ed25519)");
  CHECK(message_for(R"([1])") == "keys.abc: expected a key object");
}

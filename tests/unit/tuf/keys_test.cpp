#include "upkeep/tuf/keys.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

using namespace upkeep;
using namespace upkeep::tuf;
using upkeep::test::error_of;

namespace {

// RFC 8032 section 7.1, TEST 1 (empty message).
const char* kRfcSecret = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const char* kRfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const char* kRfcSignature =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe2465"
    "5141438e7a100b";

// RFC 6979 appendix A.2.5: P-256 key, SHA-256, message "sample"; the
// signature (r, s) DER-encoded as TUF's ecdsa-sha2-nistp256 carries it.
const char* kP256PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7\n"
    "Yfps5mliLmDyn7Z5A/4QCLi8maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ==\n"
    "-----END PUBLIC KEY-----\n";
const char* kP256SampleSignature =
    "3046022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3"
    "e900dbb9aff4064dc4ab2f843acda8";

// python-tuf's test repository (tests/repository_data/client/metadata/current/root.json):
// its root key signed the canonical form of this "signed" object with
// RSASSA-PSS-SHA256 (securesystemslib, 32-byte salt).
const char* kPythonTufRootSigned = R"({
  "_type": "Root", "consistent_snapshot": false, "expires": "2030-01-01T00:00:00Z",
  "keys": {
   "5cf100388585b33a11b42e11bb008350c2afc508f9aff248a1dc49cc787c1eb7": {"keytype": "rsa", "keyval": {"public": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA9XqJohXw46tOKUiOMzPx\nlDtrSlpy3WLH2zFSppN0eLIqByD4mk5nbyWKOzzGetQYgv9FzyER4AbmG40kD9bT\n2jm3zxjoTnCoM+1Qt7khZm3LxcKBa7q1yrAlvSfNLauIC220kauVRn4Kehd+IqeS\n/LhfOT6YyHUMH9SjZKM8XVHU1ehxTiA69eos4AosMK1Gf7jr042FzfiBTygqV1h5\nLXxO0IUYXiI4eCYTwzK4ChfQBmG3DGFGh2G8yrgqQZ5ERaBQPYG9rqQnfF8T8RUQ\no4n7yKpEKSWLOr6Uz9Y1pnHZG4YiKKbTe9EKGtrRbDMIfI+Mv5f3+n600nwZrN7K\nOwIDAQAB\n-----END PUBLIC KEY-----"}},
   "6986b667c736a3b37471e030cf4ce7aa6c7e0d530325e64c2660276b77be3754": {"keytype": "rsa", "keyval": {"public": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA7J15ZaeDQPrhQsRj29wB\nPhibH+Do59xsT2396L+uCg793gZlar5wZN2eHSh725cNQWyTAa9LwG+lXaKMukQ+\n8176CKR2J5sv3DezrGVu3x8V1qhyJyy79FlNZRVYTVqNaYzvJzxsVnFPpg7f8B7C\nffiqWJr9XkpqwRlCpxooXm4hplZ7uek5Ku21CzQ4OWg7hbuc+ZjCGzpXfm8NuosU\n7TipnKGpEt0Agiph5g6TB2/scoeFar1CKMONIl80maxzAQk+xkWgiJ00+Z2qFCsx\nESfis/YkILS6RMFyZz7oa1WwMtUjYmrsRuz+jlFcbNuxZpIkaISiG9a2YdGcJ1Aj\n3QIDAQAB\n-----END PUBLIC KEY-----"}},
   "a07d55ab2637afc97b2d2fff88001618b9d23ac4e16d049cffa18d59ae374c05": {"keytype": "rsa", "keyval": {"public": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqF3xKdM9FySLLp0PiwIx\n2O9CFikFBo4Xfm4Z0HW69lu2X5WQFx8/GL9kmo1QjZrOwYToYDe287nidbbLs/rT\nlq3buN5wPMiD1GbVgGN/nknkkzv9KkJtrSF4RLbKrUnKo7/9C6IUmMt30wBk4GpJ\nRZ+8wFfRhUE6859/f6Xl4XbtBJofbIGwV/OBdIzO5zIgB3uBktbbqBVjJb8Oj6Oi\nYYskEIacP+TUrpa1iuC6nONj6ahI5NnEjt2B4/pLaUcEPm43kktJTabznkfNZXOa\n2nMjngY8v8EbNLBpG6Y7MqZwwLZ4wnaTOe5Bp323YN9eVONXfU2gtT2MBoWExvFV\nFwIDAQAB\n-----END PUBLIC KEY-----"}},
   "a45544c2d4c368826d06e99b7702db9e7c10f74d628a9b7a46930b187f54daab": {"keytype": "rsa", "keyval": {"public": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyw8QAC0PNyyf0AV3qzSp\nDgT74sGKC/72HIO1EskP4VEkdfh67PROHCm0YJTYLch9zH+uHIsmyyuzNr6go2Nv\nGPSRwYEP34LJlmqr699zkjSXw79T/t244keFiL8SFWTlWmQyTPDdn+N2v4acAmvW\nxSFcjTl8cVIGyGuU2s/vHrBn0zoOJ7ZIGAFzzCGAm0j6VvGvkxy3mymE+8VjzrAV\n9P1aOMdRVmlqCyPlGVW66Lvz7wkQKcp7rf0CEKkBGlYMtgTqiiagHJy0Sv6qAapw\nLXzE6ZdM40E1J1rT9GUitd0K4LhpSjW1lfipSbNQDLiZTG9R2EhnDMl5suaIaFh0\nUQIDAQAB\n-----END PUBLIC KEY-----"}}
  },
  "roles": {
   "root": {"keyids": ["6986b667c736a3b37471e030cf4ce7aa6c7e0d530325e64c2660276b77be3754"], "threshold": 1},
   "snapshot": {"keyids": ["5cf100388585b33a11b42e11bb008350c2afc508f9aff248a1dc49cc787c1eb7"], "threshold": 1},
   "targets": {"keyids": ["a07d55ab2637afc97b2d2fff88001618b9d23ac4e16d049cffa18d59ae374c05"], "threshold": 1},
   "timestamp": {"keyids": ["a45544c2d4c368826d06e99b7702db9e7c10f74d628a9b7a46930b187f54daab"], "threshold": 1}
  },
  "version": 1
})";
const char* kPythonTufRootSignature =
    "a710ca79819bb01452e0a1091612bf1282644bdd7c10aa73d125ad99d7773fb8580d432d3e2b930954637c5177ea0a9322c8f64dde373df920"
    "cd3d31ffd7ea01362015a882754529314b9c870a532aa87fcb735f3f932bfebac3b4b2a286871e942f86a9a5deb4370c9f24f18a85aaa01c91"
    "fd67547c7fc8b21d7433bc28c8eda5223df2843b79a38cc84498267269f85d2422374852597b47ee1b58e336b8cbc401f4545d565914e475c4"
    "c9546ea6e45dcdcce3f049af7476d9db9cafbcb6400d1cd4e590d108f31fb6ff38f5a134b2f2b386207c0a217572461735f1e4a78107c6cd02"
    "3a417ed721dcbb904fec375cca2572b159239930d99962d0ad4033a5";

Json rfc_key_file() {
  return Json::parse(std::string(R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":")") + kRfcPublic +
                     R"(","private":")" + kRfcSecret + R"("}})");
}

Json public_key_json(const std::string& keytype, const std::string& scheme, const std::string& value) {
  Json j = Json::object();
  j["keytype"] = keytype;
  j["scheme"] = scheme;
  j["keyval"]["public"] = value;
  return j;
}

std::string unhex(const char* hex) {
  std::string raw;
  REQUIRE(from_hex(hex, raw));
  return raw;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("ed25519 matches the RFC 8032 test vector", "[tuf][keys]") {
  auto key = PrivateKey::from_json(rfc_key_file());
  CHECK(key->public_key().public_value() == kRfcPublic);
  CHECK(to_hex(key->sign("")) == kRfcSignature);
  CHECK(key->public_key().verify("", unhex(kRfcSignature)));
}

TEST_CASE("ecdsa-sha2-nistp256 verifies the RFC 6979 P-256/SHA-256 vector", "[tuf][keys]") {
  for (const char* keytype : {"ecdsa-sha2-nistp256", "ecdsa"}) {
    auto key = PublicKey::from_json(public_key_json(keytype, "ecdsa-sha2-nistp256", kP256PublicPem));
    CHECK(key->type() == KeyType::kEcdsa);
    CHECK(key->keytype() == keytype);  // kept as written: the key id covers it
    CHECK(key->public_value() == kP256PublicPem);
    CHECK(key->verify("sample", unhex(kP256SampleSignature)));
    CHECK_FALSE(key->verify("samplE", unhex(kP256SampleSignature)));
  }
}

TEST_CASE("rsassa-pss-sha256 verifies a signature made by python-tuf's securesystemslib", "[tuf][keys]") {
  Json signed_json = Json::parse(kPythonTufRootSigned);
  const Json& pem_key = signed_json.at("keys").at("6986b667c736a3b37471e030cf4ce7aa6c7e0d530325e64c2660276b77be3754");
  auto key =
      PublicKey::from_json(public_key_json("rsa", "rsassa-pss-sha256", pem_key.at("keyval").get_string("public")));
  CHECK(key->type() == KeyType::kRsa);
  // The signature covers canonical JSON with raw newlines inside the PEM strings.
  const std::string canonical = signed_json.dump_canonical();
  CHECK(contains(canonical, "-----BEGIN PUBLIC KEY-----\nMIIB"));
  CHECK(key->verify(canonical, unhex(kPythonTufRootSignature)));
  std::string changed = canonical;
  changed[changed.find("2030")] = '3';
  CHECK_FALSE(key->verify(changed, unhex(kPythonTufRootSignature)));
  // Another key of the same repository does not verify it.
  auto other =
      PublicKey::from_json(public_key_json("rsa", "rsassa-pss-sha256",
                                           signed_json.at("keys")
                                               .at("5cf100388585b33a11b42e11bb008350c2afc508f9aff248a1dc49cc787c1eb7")
                                               .at("keyval")
                                               .get_string("public")));
  CHECK_FALSE(other->verify(canonical, unhex(kPythonTufRootSignature)));
}

TEST_CASE("key id is the sha256 of the canonical public key object", "[tuf][keys]") {
  auto key = PrivateKey::from_json(rfc_key_file());
  const std::string canonical =
      std::string(R"({"keytype":"ed25519","keyval":{"public":")") + kRfcPublic + R"("},"scheme":"ed25519"})";
  CHECK(key->public_key().to_json().dump_canonical() == canonical);
  CHECK(key->key_id() == sha256_hex(canonical));
  CHECK(key->key_id().size() == 64);

  auto ec = PublicKey::from_json(public_key_json("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", kP256PublicPem));
  CHECK(ec->key_id() == sha256_hex(std::string(R"({"keytype":"ecdsa-sha2-nistp256","keyval":{"public":")") +
                                   kP256PublicPem + R"("},"scheme":"ecdsa-sha2-nistp256"})"));
}

TEST_CASE("every key type signs and verifies only the exact message with the right key", "[tuf][keys]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kEcdsa, KeyType::kRsa}) {
    INFO(key_type_name(type));
    auto a = PrivateKey::generate(type);
    auto b = PrivateKey::generate(type);
    CHECK(a->public_key().type() == type);
    CHECK(a->key_id() != b->key_id());
    const std::string message = R"({"_type":"targets","version":1})";
    std::string sig = a->sign(message);
    CHECK(a->public_key().verify(message, sig));
    CHECK_FALSE(b->public_key().verify(message, sig));  // wrong key
    std::string modified = message;
    modified[10] ^= 1;
    CHECK_FALSE(a->public_key().verify(modified, sig));  // one bit of the message
    std::string bad_sig = sig;
    bad_sig[bad_sig.size() / 2] ^= 1;
    CHECK_FALSE(a->public_key().verify(message, bad_sig));
    CHECK_FALSE(a->public_key().verify(message, sig.substr(1)));  // wrong length
    CHECK_FALSE(a->public_key().verify(message, ""));

    // Key files round-trip, keep the key id, and sign interchangeably.
    Json file = a->to_json();
    CHECK(file.get_string("keytype") == a->public_key().keytype());
    auto again = PrivateKey::from_json(file);
    CHECK(again->key_id() == a->key_id());
    CHECK(a->public_key().verify("x", again->sign("x")));
    CHECK(PublicKey::from_json(a->public_key().to_json())->key_id() == a->key_id());
  }
}

TEST_CASE("generated keys use the specification's formats", "[tuf][keys]") {
  auto ec = PrivateKey::generate(KeyType::kEcdsa);
  CHECK(ec->public_key().keytype() == "ecdsa-sha2-nistp256");
  CHECK(ec->public_key().scheme() == "ecdsa-sha2-nistp256");
  CHECK(ec->public_key().public_value().rfind("-----BEGIN PUBLIC KEY-----\n", 0) == 0);
  CHECK(ec->sign("m")[0] == 0x30);  // DER SEQUENCE
  CHECK(contains(ec->to_json().at("keyval").get_string("private"), "-----BEGIN PRIVATE KEY-----"));

  auto rsa = PrivateKey::generate(KeyType::kRsa);
  CHECK(rsa->public_key().keytype() == "rsa");
  CHECK(rsa->public_key().scheme() == "rsassa-pss-sha256");
  CHECK(rsa->sign("m").size() == 384);  // 3072 bits
  auto ed = PrivateKey::generate(KeyType::kEd25519);
  CHECK(ed->public_key().public_value().size() == 64);

  CHECK(parse_key_type("ecdsa") == KeyType::kEcdsa);
  CHECK(parse_key_type("rsa") == KeyType::kRsa);
  CHECK(error_of([] { parse_key_type("dsa"); }, ErrorCode::kUsage) ==
        "unknown key type 'dsa' (expected ed25519, ecdsa or rsa)");
}

TEST_CASE("a signature of one key type never verifies as another", "[tuf][keys]") {
  auto ed = PrivateKey::generate(KeyType::kEd25519);
  auto ec = PrivateKey::generate(KeyType::kEcdsa);
  auto rsa = PrivateKey::generate(KeyType::kRsa);
  const std::string m = "message";
  for (const PrivateKey* signer : {ed.get(), ec.get(), rsa.get()}) {
    std::string sig = signer->sign(m);
    for (const PrivateKey* verifier : {ed.get(), ec.get(), rsa.get()}) {
      CHECK(verifier->public_key().verify(m, sig) == (signer == verifier));
    }
  }
  // An ecdsa PEM presented as rsa (and the reverse) is refused when parsing.
  auto msg = error_of(
      [&] {
        PublicKey::from_json(public_key_json("rsa", "rsassa-pss-sha256", ec->public_key().public_value()), "keys.ab12");
      },
      ErrorCode::kBadInput);
  CHECK(msg == "keys.ab12: keyval.public is not an RSA key");
  msg = error_of(
      [&] {
        PublicKey::from_json(
            public_key_json("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", rsa->public_key().public_value()),
            "keys.cd34");
      },
      ErrorCode::kBadInput);
  CHECK(msg == "keys.cd34: keyval.public is not a NIST P-256 (prime256v1) EC key");
  // A private key of one type under another type's header.
  Json file = ec->to_json();
  file["keytype"] = "rsa";
  file["scheme"] = "rsassa-pss-sha256";
  CHECK(error_of([&] { PrivateKey::from_json(file, "online/targets-1.key"); }, ErrorCode::kBadInput) ==
        "online/targets-1.key: keyval.private is not an RSA key");
}

TEST_CASE("key files with a mismatched public half are refused", "[tuf][keys]") {
  Json file = PrivateKey::generate(KeyType::kEd25519)->to_json();
  file["keyval"]["public"] = kRfcPublic;
  CHECK(error_of([&] { PrivateKey::from_json(file, "keys/targets.key"); }, ErrorCode::kBadInput) ==
        "keys/targets.key: keyval.public does not belong to keyval.private");
  for (KeyType type : {KeyType::kEcdsa, KeyType::kRsa}) {
    Json pem_file = PrivateKey::generate(type)->to_json();
    pem_file["keyval"]["public"] = PrivateKey::generate(type)->public_key().public_value();
    CHECK(error_of([&] { PrivateKey::from_json(pem_file, "k.key"); }, ErrorCode::kBadInput) ==
          "k.key: keyval.public does not belong to keyval.private");
  }
  Json ec_file = PrivateKey::generate(KeyType::kEcdsa)->to_json();
  ec_file["keyval"]["private"] = "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
  CHECK(error_of([&] { PrivateKey::from_json(ec_file, "offline/root-1.key"); }, ErrorCode::kBadInput) ==
        "offline/root-1.key: keyval.private is not an unencrypted PEM private key");
}

TEST_CASE("public key parse errors name the key and the field", "[tuf][keys]") {
  auto message_for = [](const std::string& text) {
    return error_of([&] { PublicKey::from_json(Json::parse(text), "keys.abc"); }, ErrorCode::kBadInput);
  };
  CHECK(message_for(R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"abcd"}})") ==
        "keys.abc: keyval.public must be 64 hex digits");
  CHECK(message_for(R"({"keytype":"ed25519","scheme":"ed25519"})") == "keys.abc: missing field 'keyval'");
  CHECK(message_for(R"({"keytype":"rsa","scheme":"rsassa-pss-sha512","keyval":{"public":"x"}})") ==
        "keys.abc: unsupported key type 'rsa' with scheme 'rsassa-pss-sha512' (supported: ed25519/ed25519, "
        "ecdsa-sha2-nistp256/ecdsa-sha2-nistp256, ecdsa/ecdsa-sha2-nistp256, rsa/rsassa-pss-sha256)");
  CHECK(message_for(R"({"keytype":"rsa","scheme":"rsassa-pss-sha256","keyval":{"public":"not a pem"}})") ==
        "keys.abc: keyval.public is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");
  CHECK(
      message_for(
          R"({"keytype":"ecdsa","scheme":"ecdsa-sha2-nistp256","keyval":{"public":"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}})") ==
      "keys.abc: keyval.public is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");
  CHECK(message_for(R"({"keytype":"ecdsa","scheme":"ecdsa-sha2-nistp256","keyval":{"public":7}})") ==
        "keys.abc: field 'public' must be a string, found an integer");
  CHECK(message_for(R"([1])") == "keys.abc: expected a key object");
  // A 1024-bit RSA key is below the specification's minimum.
  const std::string rsa1024 =
      "-----BEGIN PUBLIC KEY-----\\n"
      "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDNCsZf2AqO4KdozEgOMmaFL6Vl\\n"
      "fXZLn2nbiXMr8U+78LhzmLgEQ6+iOKNSPHvK0T2cX3P07vGntcBCzE7dtT7lN7Qg\\n"
      "706z0L2QdkF1ZOQZcN3JAv5LDsdXHRu/sd8V2GhehPgbiH+VGovFUYOmXYS9yqGM\\n"
      "4PcGWwwe9JLriVzswQIDAQAB\\n"
      "-----END PUBLIC KEY-----\\n";
  CHECK(message_for(R"({"keytype":"rsa","scheme":"rsassa-pss-sha256","keyval":{"public":")" + rsa1024 + R"("}})") ==
        "keys.abc: keyval.public is a 1024-bit RSA key, at least 2048 bits are required");
}

TEST_CASE("keys in metadata: a key this client cannot use is kept, never verifies", "[tuf][keys]") {
  for (const char* text : {R"({"keytype":"rsa","scheme":"rsassa-pss-sha512","keyval":{"public":"x"},"extra":1})",
                           R"({"keytype":"sphincs","scheme":"sphincs-shake-128s","keyval":{"public":"00ff"}})",
                           R"({"keytype":"ed25519","scheme":"ed25519","keyval":{"public":"abcd"}})"}) {
    const Json j = Json::parse(text);
    auto key = PublicKey::from_metadata(j, "keys.x");
    INFO(text);
    CHECK(key->type() == KeyType::kUnsupported);
    CHECK_FALSE(key->verify("message", std::string(64, 'a')));
    CHECK(key->to_json().dump_canonical() == j.dump_canonical());  // as written, extra fields too
    CHECK(key->unusable_reason().rfind("keys.x: ", 0) == 0);
  }
  auto usable = PrivateKey::generate_ed25519();
  Json with_extra = usable->public_key().to_json();
  with_extra["keyid_hash_algorithms"] = Json::array();
  auto key = PublicKey::from_metadata(with_extra, "keys.y");
  CHECK(key->type() == KeyType::kEd25519);
  CHECK(key->verify("m", usable->sign("m")));
  CHECK(key->unusable_reason().empty());

  auto message_for = [](const std::string& text) {
    return error_of([&] { PublicKey::from_metadata(Json::parse(text), "keys.abc"); }, ErrorCode::kBadInput);
  };
  CHECK(message_for(R"({"keytype":"ed25519","scheme":"ed25519"})") == "keys.abc: missing field 'keyval'");
  CHECK(message_for(R"({"keytype":7,"scheme":"ed25519","keyval":{}})") ==
        "keys.abc: field 'keytype' must be a string, found an integer");
  CHECK(message_for(R"("ed25519")") == "keys.abc: expected a key object");
  CHECK(error_of([] { PrivateKey::generate(KeyType::kUnsupported); }, ErrorCode::kUsage) ==
        "cannot generate a key of an unsupported type");
}

// Signing keys for TUF metadata: public keys (verify) and private keys (sign).
//
// Three key types, in the formats of the TUF specification and
// securesystemslib (what python-tuf, go-tuf and tuf-js read and write):
//   ed25519:  keytype "ed25519", scheme "ed25519", keyval.public = 64 hex digits;
//             signatures are the 64 raw bytes.
//   ecdsa:    keytype "ecdsa-sha2-nistp256" (the spec's name; "ecdsa" as used by
//             newer securesystemslib is accepted too), scheme "ecdsa-sha2-nistp256",
//             keyval.public = PEM SubjectPublicKeyInfo of a P-256 key; signatures
//             are DER (ASN.1 SEQUENCE of r and s) over SHA-256.
//   rsa:      keytype "rsa", scheme "rsassa-pss-sha256", keyval.public = PEM
//             SubjectPublicKeyInfo, at least 2048 bits; RSASSA-PSS with SHA-256 and
//             MGF1-SHA-256. Signing uses a 32-byte salt (the digest length, as
//             securesystemslib signs); verifying accepts any salt length (as
//             securesystemslib verifies).
// Metadata carries signatures as hex; these classes deal in raw bytes.
//
// key_id() is the SHA-256 hex of the canonical JSON of a key's public form
// {"keytype","keyval":{"public"},"scheme"} (TUF 1.0.31 section 4.2), with
// keyval.public exactly as written in the metadata: the id our publisher
// writes for its keys. A client never recomputes ids: metadata's key ids are
// identifiers, used as given (tuf/role_keys.h).
//
// Private key files are the securesystemslib key dict with the private half
// added: keyval.private is hex (ed25519) or a PEM private key (PKCS#8 when we
// write it; any unencrypted PEM private key OpenSSL reads is accepted).
//
// Keys are immutable after construction: share them read-only between
// threads. Factories throw Error(kBadInput) naming `what` and the field;
// OpenSSL failures are Error(kFailure). verify() never throws.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "upkeep/base/json.h"

namespace upkeep::tuf {

// kUnsupported: a key listed in metadata that this client cannot use
// (PublicKey::from_metadata); it never verifies and cannot be generated.
enum class KeyType { kEd25519, kEcdsa, kRsa, kUnsupported };

// "ed25519" | "ecdsa" | "rsa" (also the full keytype names); Error(kUsage)
// "unknown key type 'x' (expected ed25519, ecdsa or rsa)" otherwise.
KeyType parse_key_type(std::string_view name);
// "ed25519" | "ecdsa" | "rsa" | "unsupported".
const char* key_type_name(KeyType type);

class PublicKey {
 public:
  virtual ~PublicKey() = default;

  // Parses a key object as listed in root metadata. Unknown keytype/scheme
  // pairs are Error(kBadInput) "<what>: unsupported key type 'x' with scheme 'y'".
  static std::shared_ptr<const PublicKey> from_json(const Json& key, std::string_view what = "key");
  // A key as listed in metadata someone else may have made: a key object
  // with string "keytype" and "scheme" and an object "keyval" (else
  // Error(kBadInput)). A key from_json() refuses (another key type or
  // scheme, a public value OpenSSL cannot read) is returned as an unusable
  // key of type kUnsupported whose verify() is always false, to_json() is the
  // key as written, and unusable_reason() says why; python-tuf does the same
  // (such a key's signatures never count).
  static std::shared_ptr<const PublicKey> from_metadata(const Json& key, std::string_view what = "key");

  virtual KeyType type() const = 0;
  virtual const std::string& keytype() const = 0;
  virtual const std::string& scheme() const = 0;
  // The "public" member of "keyval", as written in metadata (hex or PEM).
  virtual const std::string& public_value() const = 0;
  // True only when `signature` (raw bytes) is a valid signature of `message`.
  virtual bool verify(std::string_view message, std::string_view signature) const = 0;
  // Why this key can never verify (kUnsupported); "" for a usable key.
  virtual std::string unusable_reason() const { return ""; }

  // {"keytype":..,"keyval":{"public":..},"scheme":..}
  virtual Json to_json() const;
  // SHA-256 hex of to_json().dump_canonical().
  std::string key_id() const;
};

class PrivateKey {
 public:
  virtual ~PrivateKey() = default;

  // A fresh random key: ed25519, ECDSA P-256, or RSA 3072 bits.
  static std::unique_ptr<PrivateKey> generate(KeyType type);
  static std::unique_ptr<PrivateKey> generate_ed25519() { return generate(KeyType::kEd25519); }
  // Parses a key file's JSON {"keytype","scheme","keyval":{"public","private"}};
  // checks that the public half matches the private one.
  static std::unique_ptr<PrivateKey> from_json(const Json& key, std::string_view what = "key file");

  virtual const PublicKey& public_key() const = 0;
  // Raw signature bytes over `message`.
  virtual std::string sign(std::string_view message) const = 0;
  // The key file form, including the private half: handle with care (0600).
  virtual Json to_json() const = 0;

  std::string key_id() const { return public_key().key_id(); }
};

}  // namespace upkeep::tuf

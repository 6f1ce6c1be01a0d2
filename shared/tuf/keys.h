// Signing keys for TUF metadata: public keys (verify) and private keys (sign).
//
// Each TUF key type lives behind the PublicKey / PrivateKey interfaces, so
// ecdsa-sha2-nistp256 and rsassa-pss-sha256 can be added later by one more
// implementation and one more branch in the factories; only ed25519 exists
// now. A key's id is the SHA-256 hex of the canonical JSON of its public
// form {"keytype","keyval":{"public"},"scheme"} (TUF 1.0.31 section 4.2).
//
// Keys are immutable after construction: share them read-only between
// threads. Factories throw Error(kBadInput) naming `what` and the field;
// OpenSSL failures are Error(kFailure).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "json.h"

namespace upkeep::tuf {

class PublicKey {
 public:
  virtual ~PublicKey() = default;

  // Parses a key object as listed in root metadata. Unknown keytype/scheme
  // pairs are Error(kBadInput) "<what>: unsupported key type 'x' with scheme 'y'".
  static std::shared_ptr<const PublicKey> from_json(const Json& key, std::string_view what = "key");

  virtual const std::string& keytype() const = 0;
  virtual const std::string& scheme() const = 0;
  // The "public" member of "keyval", as written in metadata (hex for ed25519).
  virtual const std::string& public_value() const = 0;
  // True only when `signature` (raw bytes) is a valid signature of `message`.
  virtual bool verify(std::string_view message, std::string_view signature) const = 0;

  // {"keytype":..,"keyval":{"public":..},"scheme":..}
  Json to_json() const;
  // SHA-256 hex of to_json().dump_canonical().
  std::string key_id() const;
};

class PrivateKey {
 public:
  virtual ~PrivateKey() = default;

  // A fresh random ed25519 key.
  static std::unique_ptr<PrivateKey> generate_ed25519();
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

#include "tuf/keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "error.h"
#include "hash.h"

namespace upkeep::tuf {
namespace {

constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kEd25519SigBytes = 64;

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

const std::string kEd25519 = "ed25519";

std::string hex_field(const Json& keyval, std::string_view field, size_t bytes, std::string_view what) {
  const std::string& hex = keyval.get_string(field);
  std::string raw;
  if (!from_hex(hex, raw) || raw.size() != bytes)
    fail(ErrorCode::kBadInput, std::string(what) + ": keyval." + std::string(field) + " must be " +
                                   std::to_string(bytes * 2) + " hex digits");
  return raw;
}

class Ed25519PublicKey final : public PublicKey {
 public:
  Ed25519PublicKey(std::string public_hex, PkeyPtr pkey) : public_hex_(std::move(public_hex)), pkey_(std::move(pkey)) {}

  static std::shared_ptr<const Ed25519PublicKey> from_raw(const std::string& raw) {
    PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                             reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
    if (!pkey) fail(ErrorCode::kBadInput, "OpenSSL refused an ed25519 public key");
    return std::make_shared<Ed25519PublicKey>(to_hex(raw), std::move(pkey));
  }

  const std::string& keytype() const override { return kEd25519; }
  const std::string& scheme() const override { return kEd25519; }
  const std::string& public_value() const override { return public_hex_; }

  bool verify(std::string_view message, std::string_view signature) const override {
    if (signature.size() != kEd25519SigBytes) return false;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    // Ed25519 hashes internally: no message digest is given (NULL md).
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  }

 private:
  std::string public_hex_;
  PkeyPtr pkey_;
};

class Ed25519PrivateKey final : public PrivateKey {
 public:
  explicit Ed25519PrivateKey(PkeyPtr pkey) : pkey_(std::move(pkey)) {
    unsigned char pub[kEd25519KeyBytes];
    size_t len = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(pkey_.get(), pub, &len) != 1 || len != kEd25519KeyBytes)
      fail(ErrorCode::kFailure, "OpenSSL: cannot derive the ed25519 public key");
    public_ = Ed25519PublicKey::from_raw(std::string(reinterpret_cast<char*>(pub), len));
  }

  const PublicKey& public_key() const override { return *public_; }

  std::string sign(std::string_view message) const override {
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1)
      fail(ErrorCode::kFailure, "OpenSSL: cannot start an ed25519 signature");
    std::string sig(kEd25519SigBytes, '\0');
    size_t len = sig.size();
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
        len != kEd25519SigBytes)
      fail(ErrorCode::kFailure, "OpenSSL: ed25519 signing failed");
    return sig;
  }

  Json to_json() const override {
    unsigned char priv[kEd25519KeyBytes];
    size_t len = sizeof priv;
    if (EVP_PKEY_get_raw_private_key(pkey_.get(), priv, &len) != 1 || len != kEd25519KeyBytes)
      fail(ErrorCode::kFailure, "OpenSSL: cannot export the ed25519 private key");
    Json j = public_->to_json();
    j["keyval"]["private"] = to_hex(priv, len);
    OPENSSL_cleanse(priv, sizeof priv);
    return j;
  }

 private:
  PkeyPtr pkey_;
  std::shared_ptr<const Ed25519PublicKey> public_;
};

void require_object(const Json& key, std::string_view what) {
  if (!key.is_object()) fail(ErrorCode::kBadInput, std::string(what) + ": expected a key object");
}

[[noreturn]] void unsupported(const std::string& keytype, const std::string& scheme, std::string_view what) {
  fail(ErrorCode::kBadInput, std::string(what) + ": unsupported key type '" + keytype + "' with scheme '" + scheme +
                                 "' (supported: ed25519/ed25519)");
}

}  // namespace

Json PublicKey::to_json() const {
  Json j = Json::object();
  j["keytype"] = keytype();
  j["scheme"] = scheme();
  j["keyval"]["public"] = public_value();
  return j;
}

std::string PublicKey::key_id() const { return sha256_hex(to_json().dump_canonical()); }

std::shared_ptr<const PublicKey> PublicKey::from_json(const Json& key, std::string_view what) {
  require_object(key, what);
  try {
    const std::string& keytype = key.get_string("keytype");
    const std::string& scheme = key.get_string("scheme");
    const Json& keyval = key.at("keyval");
    if (!keyval.is_object()) fail(ErrorCode::kBadInput, "field 'keyval' must be an object");
    if (keytype == kEd25519 && scheme == kEd25519)
      return Ed25519PublicKey::from_raw(hex_field(keyval, "public", kEd25519KeyBytes, what));
    unsupported(keytype, scheme, what);
  } catch (const Error& e) {
    if (std::string_view(e.what()).substr(0, what.size()) == what) throw;
    fail(e.code(), std::string(what) + ": " + e.what());
  }
}

std::unique_ptr<PrivateKey> PrivateKey::generate_ed25519() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    fail(ErrorCode::kFailure, "OpenSSL: ed25519 key generation failed");
  return std::make_unique<Ed25519PrivateKey>(PkeyPtr(raw));
}

std::unique_ptr<PrivateKey> PrivateKey::from_json(const Json& key, std::string_view what) {
  require_object(key, what);
  std::unique_ptr<PrivateKey> result;
  try {
    const std::string& keytype = key.get_string("keytype");
    const std::string& scheme = key.get_string("scheme");
    const Json& keyval = key.at("keyval");
    if (!keyval.is_object()) fail(ErrorCode::kBadInput, "field 'keyval' must be an object");
    if (keytype != kEd25519 || scheme != kEd25519) unsupported(keytype, scheme, what);
    std::string priv = hex_field(keyval, "private", kEd25519KeyBytes, what);
    PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(priv.data()), priv.size()));
    OPENSSL_cleanse(priv.data(), priv.size());
    if (!pkey) fail(ErrorCode::kBadInput, std::string(what) + ": OpenSSL refused the ed25519 private key");
    result = std::make_unique<Ed25519PrivateKey>(std::move(pkey));
    if (to_hex(hex_field(keyval, "public", kEd25519KeyBytes, what)) != result->public_key().public_value())
      fail(ErrorCode::kBadInput, std::string(what) + ": keyval.public does not belong to keyval.private");
  } catch (const Error& e) {
    if (std::string_view(e.what()).substr(0, what.size()) == what) throw;
    fail(e.code(), std::string(what) + ": " + e.what());
  }
  return result;
}

}  // namespace upkeep::tuf

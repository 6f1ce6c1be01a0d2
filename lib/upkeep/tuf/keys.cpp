#include "upkeep/tuf/keys.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <spdlog/spdlog.h>

#include <optional>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

namespace upkeep::tuf {
namespace {

constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kEd25519SigBytes = 64;
constexpr int kRsaMinBits = 2048;
constexpr size_t kRsaGenerateBits = 3072;  // securesystemslib's default
constexpr size_t kMaxPemBytes = 16 << 10;

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

const std::string kEd25519 = "ed25519";
const std::string kEcdsaKeytype = "ecdsa-sha2-nistp256";
const std::string kEcdsaShortKeytype = "ecdsa";
const std::string kEcdsaScheme = "ecdsa-sha2-nistp256";
const std::string kRsaKeytype = "rsa";
const std::string kRsaScheme = "rsassa-pss-sha256";

// OpenSSL keeps failures in a per-thread queue; leave it empty for the next caller.
struct ClearErrors {
  ~ClearErrors() { ERR_clear_error(); }
};

std::string what_field(std::string_view what, std::string_view message) {
  return std::string(what) + ": " + std::string(message);
}

std::optional<KeyType> type_of(const std::string& keytype, const std::string& scheme) {
  if (keytype == kEd25519 && scheme == kEd25519) return KeyType::kEd25519;
  if ((keytype == kEcdsaKeytype || keytype == kEcdsaShortKeytype) && scheme == kEcdsaScheme) return KeyType::kEcdsa;
  if (keytype == kRsaKeytype && scheme == kRsaScheme) return KeyType::kRsa;
  return std::nullopt;
}

[[noreturn]] void unsupported(const std::string& keytype, const std::string& scheme, std::string_view what) {
  fail(ErrorCode::kBadInput,
       what_field(what, "unsupported key type '" + keytype + "' with scheme '" + scheme +
                            "' (supported: ed25519/ed25519, ecdsa-sha2-nistp256/ecdsa-sha2-nistp256, "
                            "ecdsa/ecdsa-sha2-nistp256, rsa/rsassa-pss-sha256)"));
}

std::string hex_field(const Json& keyval, std::string_view field, size_t bytes, std::string_view what) {
  const std::string& hex = keyval.get_string(field);
  std::string raw;
  if (!from_hex(hex, raw) || raw.size() != bytes)
    fail(ErrorCode::kBadInput,
         what_field(what, "keyval." + std::string(field) + " must be " + std::to_string(bytes * 2) + " hex digits"));
  return raw;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string pem_public(EVP_PKEY* key) {
  ClearErrors clear;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
    fail(ErrorCode::kFailure, "OpenSSL: cannot write a PEM public key");
  return bio_text(bio.get());
}

PkeyPtr read_pem(const std::string& pem, bool is_private) {
  ClearErrors clear;
  if (pem.size() > kMaxPemBytes) return nullptr;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  // No password callback: an encrypted key must fail, never prompt on the terminal.
  auto no_password = [](char*, int, int, void*) -> int { return 0; };
  return PkeyPtr(is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)
                            : PEM_read_bio_PUBKEY(bio.get(), nullptr, no_password, nullptr));
}

// Checks that `key` is usable for `type`; throws Error(kBadInput) naming `field`.
void check_algorithm(EVP_PKEY* key, KeyType type, std::string_view field, std::string_view what) {
  ClearErrors clear;
  if (type == KeyType::kEcdsa) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 ||
        std::string_view(group, len) != "prime256v1")
      fail(ErrorCode::kBadInput, what_field(what, std::string(field) + " is not a NIST P-256 (prime256v1) EC key"));
  } else if (type == KeyType::kRsa) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
      fail(ErrorCode::kBadInput, what_field(what, std::string(field) + " is not an RSA key"));
    int bits = EVP_PKEY_get_bits(key);
    if (bits < kRsaMinBits)
      fail(ErrorCode::kBadInput, what_field(what, std::string(field) + " is a " + std::to_string(bits) +
                                                      "-bit RSA key, at least 2048 bits are required"));
  }
}

// Sets RSASSA-PSS with MGF1-SHA256 on a signing or verifying context.
bool set_pss(EVP_PKEY_CTX* pctx, int salt_length) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_length) == 1;
}

const EVP_MD* digest_for(KeyType type) { return type == KeyType::kEd25519 ? nullptr : EVP_sha256(); }

class EvpPublicKey final : public PublicKey {
 public:
  EvpPublicKey(KeyType type, std::string keytype, std::string scheme, std::string public_value, PkeyPtr pkey)
      : type_(type),
        keytype_(std::move(keytype)),
        scheme_(std::move(scheme)),
        public_(std::move(public_value)),
        pkey_(std::move(pkey)) {}

  KeyType type() const override { return type_; }
  const std::string& keytype() const override { return keytype_; }
  const std::string& scheme() const override { return scheme_; }
  const std::string& public_value() const override { return public_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

  bool verify(std::string_view message, std::string_view signature) const override {
    ClearErrors clear;
    if (type_ == KeyType::kEd25519 && signature.size() != kEd25519SigBytes) return false;
    if (signature.empty() || signature.size() > 4096) return false;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(type_), nullptr, pkey_.get()) != 1) return false;
    // Any salt length verifies, as securesystemslib verifies (PSS.AUTO).
    if (type_ == KeyType::kRsa && !set_pss(pctx, RSA_PSS_SALTLEN_AUTO)) return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  }

 private:
  KeyType type_;
  std::string keytype_;
  std::string scheme_;
  std::string public_;
  PkeyPtr pkey_;
};

std::shared_ptr<const EvpPublicKey> ed25519_public(const std::string& raw) {
  ClearErrors clear;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!pkey) fail(ErrorCode::kBadInput, "OpenSSL refused an ed25519 public key");
  return std::make_shared<EvpPublicKey>(KeyType::kEd25519, kEd25519, kEd25519, to_hex(raw), std::move(pkey));
}

// The public half of a private key, in the form we write for new keys.
std::shared_ptr<const EvpPublicKey> public_of(EVP_PKEY* priv, KeyType type) {
  ClearErrors clear;
  if (type == KeyType::kEd25519) {
    unsigned char pub[kEd25519KeyBytes];
    size_t len = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(priv, pub, &len) != 1 || len != kEd25519KeyBytes)
      fail(ErrorCode::kFailure, "OpenSSL: cannot derive the ed25519 public key");
    return ed25519_public(std::string(reinterpret_cast<char*>(pub), len));
  }
  std::string pem = pem_public(priv);
  PkeyPtr pub = read_pem(pem, false);
  if (!pub) fail(ErrorCode::kFailure, "OpenSSL: cannot read back a derived public key");
  if (type == KeyType::kEcdsa)
    return std::make_shared<EvpPublicKey>(type, kEcdsaKeytype, kEcdsaScheme, std::move(pem), std::move(pub));
  return std::make_shared<EvpPublicKey>(type, kRsaKeytype, kRsaScheme, std::move(pem), std::move(pub));
}

class EvpPrivateKey final : public PrivateKey {
 public:
  EvpPrivateKey(PkeyPtr pkey, std::shared_ptr<const EvpPublicKey> pub)
      : pkey_(std::move(pkey)), public_(std::move(pub)) {}

  const PublicKey& public_key() const override { return *public_; }

  std::string sign(std::string_view message) const override {
    ClearErrors clear;
    const KeyType type = public_->type();
    MdCtxPtr ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX* pctx = nullptr;
    if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, digest_for(type), nullptr, pkey_.get()) != 1)
      fail(ErrorCode::kFailure, "OpenSSL: cannot start a signature");
    // Salt length = digest length (32), what securesystemslib produces.
    if (type == KeyType::kRsa && !set_pss(pctx, RSA_PSS_SALTLEN_DIGEST))
      fail(ErrorCode::kFailure, "OpenSSL: cannot set up RSASSA-PSS");
    const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
    size_t len = 0;
    if (EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1)
      fail(ErrorCode::kFailure, "OpenSSL: cannot size a signature");
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, msg, message.size()) != 1)
      fail(ErrorCode::kFailure, std::string("OpenSSL: ") + key_type_name(type) + " signing failed");
    sig.resize(len);
    return sig;
  }

  Json to_json() const override {
    ClearErrors clear;
    Json j = public_->to_json();
    if (public_->type() == KeyType::kEd25519) {
      unsigned char priv[kEd25519KeyBytes];
      size_t len = sizeof priv;
      if (EVP_PKEY_get_raw_private_key(pkey_.get(), priv, &len) != 1 || len != kEd25519KeyBytes)
        fail(ErrorCode::kFailure, "OpenSSL: cannot export the ed25519 private key");
      j["keyval"]["private"] = to_hex(priv, len);
      OPENSSL_cleanse(priv, sizeof priv);
      return j;
    }
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      fail(ErrorCode::kFailure, "OpenSSL: cannot export the private key");
    j["keyval"]["private"] = bio_text(bio.get());
    return j;
  }

 private:
  PkeyPtr pkey_;
  std::shared_ptr<const EvpPublicKey> public_;
};

void require_object(const Json& key, std::string_view what) {
  if (!key.is_object()) fail(ErrorCode::kBadInput, what_field(what, "expected a key object"));
}

struct KeyHeader {
  KeyType type;
  std::string keytype;
  std::string scheme;
};

KeyHeader read_header(const Json& key, std::string_view what) {
  std::string keytype = key.get_string("keytype");
  std::string scheme = key.get_string("scheme");
  if (!key.at("keyval").is_object()) fail(ErrorCode::kBadInput, "field 'keyval' must be an object");
  auto type = type_of(keytype, scheme);
  if (!type) unsupported(keytype, scheme, what);
  return {*type, std::move(keytype), std::move(scheme)};
}

std::shared_ptr<const EvpPublicKey> parse_public(const Json& key, std::string_view what) {
  KeyHeader h = read_header(key, what);
  const Json& keyval = key.at("keyval");
  if (h.type == KeyType::kEd25519) return ed25519_public(hex_field(keyval, "public", kEd25519KeyBytes, what));
  const std::string& pem = keyval.get_string("public");
  PkeyPtr pkey = read_pem(pem, false);
  if (!pkey)
    fail(ErrorCode::kBadInput,
         what_field(what, "keyval.public is not a PEM public key (expected -----BEGIN PUBLIC KEY-----)"));
  check_algorithm(pkey.get(), h.type, "keyval.public", what);
  // keyval.public stays verbatim: the key id is computed over it.
  return std::make_shared<EvpPublicKey>(h.type, h.keytype, h.scheme, pem, std::move(pkey));
}

// Runs `f`, prefixing any error message with `what` unless it already starts with it.
template <class F>
auto naming(std::string_view what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    if (std::string_view(e.what()).substr(0, what.size()) == what) throw;
    fail(e.code(), what_field(what, e.what()));
  }
}

// A key listed in metadata that this client cannot verify with (another
// key type or scheme, a value OpenSSL refuses): kept so the metadata keeps
// its meaning, never counted.
class UnusableKey final : public PublicKey {
 public:
  UnusableKey(Json key, std::string reason)
      : key_(std::move(key)),
        keytype_(key_.get_string("keytype")),
        scheme_(key_.get_string("scheme")),
        public_(key_.at("keyval").contains("public") && key_.at("keyval").at("public").is_string()
                    ? key_.at("keyval").at("public").as_string()
                    : std::string()),
        reason_(std::move(reason)) {}

  KeyType type() const override { return KeyType::kUnsupported; }
  const std::string& keytype() const override { return keytype_; }
  const std::string& scheme() const override { return scheme_; }
  const std::string& public_value() const override { return public_; }
  bool verify(std::string_view, std::string_view) const override { return false; }
  std::string unusable_reason() const override { return reason_; }
  Json to_json() const override { return key_; }

 private:
  Json key_;
  std::string keytype_;
  std::string scheme_;
  std::string public_;
  std::string reason_;
};

}  // namespace

KeyType parse_key_type(std::string_view name) {
  if (name == kEd25519) return KeyType::kEd25519;
  if (name == kEcdsaShortKeytype || name == kEcdsaKeytype) return KeyType::kEcdsa;
  if (name == kRsaKeytype || name == kRsaScheme) return KeyType::kRsa;
  fail(ErrorCode::kUsage, "unknown key type '" + std::string(name) + "' (expected ed25519, ecdsa or rsa)");
}

const char* key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return "ed25519";
    case KeyType::kEcdsa:
      return "ecdsa";
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kUnsupported:
      return "unsupported";
  }
  return "?";
}

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
  return naming(what, [&]() -> std::shared_ptr<const PublicKey> { return parse_public(key, what); });
}

std::shared_ptr<const PublicKey> PublicKey::from_metadata(const Json& key, std::string_view what) {
  require_object(key, what);
  naming(what, [&] {
    key.get_string("keytype");
    key.get_string("scheme");
    if (!key.at("keyval").is_object()) fail(ErrorCode::kBadInput, "field 'keyval' must be an object");
  });
  try {
    return from_json(key, what);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kBadInput) throw;
    spdlog::warn("{} (its signatures never count)", e.what());
    return std::make_shared<UnusableKey>(key, e.what());
  }
}

std::unique_ptr<PrivateKey> PrivateKey::generate(KeyType type) {
  ClearErrors clear;
  EVP_PKEY* raw = nullptr;
  switch (type) {
    case KeyType::kEd25519:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kEcdsa:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::kRsa:
      raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", kRsaGenerateBits);
      break;
    case KeyType::kUnsupported:
      fail(ErrorCode::kUsage, "cannot generate a key of an unsupported type");
  }
  if (!raw) fail(ErrorCode::kFailure, std::string("OpenSSL: ") + key_type_name(type) + " key generation failed");
  PkeyPtr pkey(raw);
  auto pub = public_of(pkey.get(), type);
  return std::make_unique<EvpPrivateKey>(std::move(pkey), std::move(pub));
}

std::unique_ptr<PrivateKey> PrivateKey::from_json(const Json& key, std::string_view what) {
  require_object(key, what);
  return naming(what, [&]() -> std::unique_ptr<PrivateKey> {
    KeyHeader h = read_header(key, what);
    const Json& keyval = key.at("keyval");
    PkeyPtr pkey;
    if (h.type == KeyType::kEd25519) {
      std::string priv = hex_field(keyval, "private", kEd25519KeyBytes, what);
      pkey.reset(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(priv.data()), priv.size()));
      OPENSSL_cleanse(priv.data(), priv.size());
      ERR_clear_error();
      if (!pkey) fail(ErrorCode::kBadInput, what_field(what, "OpenSSL refused the ed25519 private key"));
    } else {
      pkey = read_pem(keyval.get_string("private"), true);
      if (!pkey) fail(ErrorCode::kBadInput, what_field(what, "keyval.private is not an unencrypted PEM private key"));
      check_algorithm(pkey.get(), h.type, "keyval.private", what);
    }
    if (!keyval.contains("public")) fail(ErrorCode::kBadInput, what_field(what, "missing field 'keyval.public'"));
    std::shared_ptr<const EvpPublicKey> pub = parse_public(key, what);
    bool same = h.type == KeyType::kEd25519 ? public_of(pkey.get(), h.type)->public_value() == pub->public_value()
                                            : EVP_PKEY_eq(pkey.get(), pub->pkey()) == 1;
    ERR_clear_error();
    if (!same) fail(ErrorCode::kBadInput, what_field(what, "keyval.public does not belong to keyval.private"));
    return std::make_unique<EvpPrivateKey>(std::move(pkey), std::move(pub));
  });
}

}  // namespace upkeep::tuf

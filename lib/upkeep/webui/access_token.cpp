#include "upkeep/webui/access_token.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

namespace upkeep::webui {

namespace {
constexpr size_t kRandomBytes = 16;  // 128 bits
constexpr size_t kMinLength = 32;
constexpr size_t kMaxLength = 128;
}  // namespace

AccessToken AccessToken::generate() {
  unsigned char bytes[kRandomBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail(ErrorCode::kFailure, "web UI: the system's random generator failed");
  std::string text = to_hex(bytes, sizeof bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return AccessToken(std::move(text));
}

AccessToken AccessToken::from(std::string_view given) {
  const bool allowed = std::all_of(given.begin(), given.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (given.size() < kMinLength || given.size() > kMaxLength || !allowed)
    fail(ErrorCode::kBadInput, "web UI: a given token must be 32 to 128 characters of A-Z, a-z, 0-9, '-' and '_'");
  return AccessToken(std::string(given));
}

bool AccessToken::matches(std::string_view candidate) const {
  // The length is no secret (the format above says it); the content is compared in constant time.
  return candidate.size() == text_.size() && CRYPTO_memcmp(candidate.data(), text_.data(), text_.size()) == 0;
}

}  // namespace upkeep::webui

#include "upkeep/base/hash.h"

// The low-level digests, not EVP: EVP fetches its algorithms from OpenSSL's
// default provider, which links every algorithm OpenSSL has into the static
// launcher (3.4 MB of its 7.8; docs/benchmarks.md "Footprint"). Same assembly
// (SHA-NI where the CPU has it), no provider.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstdio>
#include <fstream>

#include "upkeep/base/error.h"

namespace upkeep {

bool parse_hash_algorithm(std::string_view name, HashAlgorithm& out) {
  if (name == "sha256") {
    out = HashAlgorithm::kSha256;
    return true;
  }
  if (name == "sha512") {
    out = HashAlgorithm::kSha512;
    return true;
  }
  return false;
}

struct Hasher::Impl {
  HashAlgorithm algorithm;
  SHA256_CTX sha256;
  SHA512_CTX sha512;
};

Hasher::Hasher(HashAlgorithm algorithm) : impl_(std::make_unique<Impl>()) {
  impl_->algorithm = algorithm;
  const int ok = algorithm == HashAlgorithm::kSha256 ? SHA256_Init(&impl_->sha256) : SHA512_Init(&impl_->sha512);
  if (ok != 1) fail(ErrorCode::kFailure, "OpenSSL: cannot start a digest");
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t size) {
  if (size == 0) return;
  const int ok = impl_->algorithm == HashAlgorithm::kSha256 ? SHA256_Update(&impl_->sha256, data, size)
                                                            : SHA512_Update(&impl_->sha512, data, size);
  if (ok != 1) fail(ErrorCode::kFailure, "OpenSSL: digest update failed");
}

std::string Hasher::hex_digest() {
  unsigned char md[SHA512_DIGEST_LENGTH];
  const bool sha256 = impl_->algorithm == HashAlgorithm::kSha256;
  const int ok = sha256 ? SHA256_Final(md, &impl_->sha256) : SHA512_Final(md, &impl_->sha512);
  if (ok != 1) fail(ErrorCode::kFailure, "OpenSSL: digest final failed");
  return to_hex(md, sha256 ? SHA256_DIGEST_LENGTH : SHA512_DIGEST_LENGTH);
}

std::string hash_hex(HashAlgorithm a, std::string_view data) {
  Hasher h(a);
  h.update(data);
  return h.hex_digest();
}

std::string sha256_hex(std::string_view data) { return hash_hex(HashAlgorithm::kSha256, data); }

std::string hash_file_hex(const std::filesystem::path& path, HashAlgorithm a) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(ErrorCode::kNotFound, "cannot open " + path.string() + " to hash it");
  Hasher h(a);
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) h.update(buf, n);
  bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) fail(ErrorCode::kFailure, "read error while hashing " + path.string());
  return h.hex_digest();
}

std::string to_hex(const void* data, size_t size) {
  static const char* digits = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

std::string to_hex(std::string_view bytes) { return to_hex(bytes.data(), bytes.size()); }

bool from_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2) return false;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.clear();
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = val(hex[i]), lo = val(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi << 4 | lo);
  }
  return true;
}

}  // namespace upkeep

// Hashing through OpenSSL: SHA-256 and SHA-512, one-shot or streaming.
//
// Hasher is not thread-safe (one per stream); the free functions are.
// Digests are returned as lower-case hex, the form TUF metadata uses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace upkeep {

enum class HashAlgorithm { kSha256, kSha512 };

// Parses "sha256" / "sha512"; returns false for anything else (an unknown
// algorithm must never count as a match).
bool parse_hash_algorithm(std::string_view name, HashAlgorithm& out);

class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm = HashAlgorithm::kSha256);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  void update(const void* data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finishes; the hasher must not be updated after

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_hex(std::string_view data);
std::string hash_hex(HashAlgorithm a, std::string_view data);
// Streams the file; throws Error(kNotFound/kFailure) naming the path.
std::string hash_file_hex(const std::filesystem::path& path, HashAlgorithm a = HashAlgorithm::kSha256);

std::string to_hex(const void* data, size_t size);
std::string to_hex(std::string_view bytes);
// Returns false on odd length or a non-hex character.
bool from_hex(std::string_view hex, std::string& out);

}  // namespace upkeep

// An independent calculation of succinct hash-bin names, for tests.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <string>

#include "upkeep/base/hash.h"

namespace upkeep::test {

// The first `bits` bits of SHA-256(path), as hex of the bin width: "<prefix>-<hex>".
inline std::string expected_bin(const std::string& prefix, const std::string& path, int bits) {
  std::string raw;
  REQUIRE(from_hex(sha256_hex(path), raw));
  uint64_t first32 = 0;
  for (int i = 0; i < 4; ++i) first32 = first32 << 8 | static_cast<unsigned char>(raw[i]);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*llx", (bits + 3) / 4, static_cast<unsigned long long>(first32 >> (32 - bits)));
  return prefix + "-" + buf;
}

}  // namespace upkeep::test

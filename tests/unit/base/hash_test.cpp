#include "upkeep/base/hash.h"

#include <catch2/catch.hpp>

#include "test_support.h"

using upkeep::HashAlgorithm;
using upkeep::Hasher;

// The test vectors of FIPS 180-2 (appendix B and C): the digests must not
// depend on how OpenSSL is called (base/hash.cpp uses its low-level digests).
TEST_CASE("SHA-256 and SHA-512 give the FIPS 180-2 digests, one-shot, streamed and of a file", "[hash]") {
  CHECK(upkeep::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(upkeep::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(upkeep::hash_hex(HashAlgorithm::kSha512, "abc") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");

  // One million 'a', fed in uneven pieces.
  const std::string a(1000000, 'a');
  Hasher h256(HashAlgorithm::kSha256), h512(HashAlgorithm::kSha512);
  for (size_t at = 0, step = 1; at < a.size(); at += step, step = step * 3 % 9973 + 1) {
    const size_t n = std::min(step, a.size() - at);
    h256.update(a.data() + at, n);
    h512.update(a.data() + at, n);
  }
  CHECK(h256.hex_digest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK(h512.hex_digest() ==
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
        "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b");

  upkeep::test::TempDir dir;
  upkeep::test::write_text(dir / "a", a);
  CHECK(upkeep::hash_file_hex(dir / "a") == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

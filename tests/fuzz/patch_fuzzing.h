// One patch decoder of lib/upkeep/delta/ on hostile input: a source file and
// a patch, applied as the delta stager applies what it downloaded.
// Input: u32 expected size, u32 source length, the source, the patch
// (tests/fuzz/make_corpus.sh writes real patches in this layout).
#pragma once

#include <filesystem>

#include "fuzz_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"

namespace upkeep::fuzz {

inline int apply_fuzzed_patch(delta::PatchAlgorithm algorithm, const uint8_t* data, size_t size) {
  Parts parts(as_text(data, size));
  const uint64_t expected_size = parts.u32();
  if (expected_size > (4u << 20)) return 0;  // the fuzzer's limit (a signed manifest sets it in real use)
  const std::string_view source = parts.part();
  const stdfs::path dir = Scratch::get().fresh();
  write_file(dir / "source", source);
  write_file(dir / "patch", parts.rest());
  accepts([&] {
    const std::string sha = delta::apply_patch(algorithm, dir / "source", dir / "patch", dir / "target", expected_size);
    // Success promises exactly expected_size bytes, whose SHA-256 it returns.
    std::ifstream in(dir / "target", std::ios::binary);
    const std::string made((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (made.size() != expected_size || sha256_hex(made) != sha) std::abort();
  });
  return 0;
}

}  // namespace upkeep::fuzz

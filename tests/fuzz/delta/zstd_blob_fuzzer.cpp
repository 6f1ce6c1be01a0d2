// A downloaded blob (one file's content as a zstd frame), decompressed to a
// file of the size the signed index gives. Input: u32 expected size, the blob.
#include "fuzz_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  fuzz::Parts parts(fuzz::as_text(data, size));
  const uint64_t expected_size = parts.u32();
  if (expected_size > (4u << 20)) return 0;  // the fuzzer's limit (a signed index sets it in real use)
  const auto dir = fuzz::Scratch::get().fresh();
  const auto blob = fuzz::write_file(dir / "blob.zst", parts.rest());
  fuzz::accepts([&] {
    const std::string sha = upkeep::delta::decompress_blob(blob, dir / "content", expected_size);
    std::ifstream in(dir / "content", std::ios::binary);
    const std::string made((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (made.size() != expected_size || upkeep::sha256_hex(made) != sha) std::abort();
  });
  return 0;
}

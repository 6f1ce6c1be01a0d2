// An LLVM bitcode file as the bitcode patch decodes it into records; a file
// it decodes must encode back to exactly its bytes (bitcode.h's promise).
#include "fuzz_support.h"
#include "upkeep/delta/bitcode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  fuzz::quiet();
  fuzz::accepts([&] {
    const std::string_view file = fuzz::as_text(data, size);
    const auto decoded = upkeep::delta::decode_bitcode(file);
    if (!decoded) return;
    const std::string again = upkeep::delta::encode_bitcode(*decoded, 64u << 20, "bitcode");
    if (again != file) std::abort();
  });
  return 0;
}

// A gettext .mo catalog as the .mo patch decodes it; a catalog it decodes
// must encode back to exactly its bytes (mo_catalog.h's promise).
#include "fuzz_support.h"
#include "upkeep/delta/mo_catalog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  fuzz::quiet();
  const std::string_view file = fuzz::as_text(data, size);
  fuzz::accepts([&] {
    if (!upkeep::delta::is_mo_catalog(file)) return;
    const auto decoded = upkeep::delta::decode_mo(file);
    if (!decoded) return;
    const std::string again = upkeep::delta::encode_mo(*decoded, 64u << 20, "catalog");
    if (again != file) std::abort();
  });
  return 0;
}

// A Windows PE file as `upkeep version-of` reads it: headers, section table,
// resource directory tree and the VS_VERSIONINFO block, from memory.
#include "fuzz_support.h"
#include "upkeep/fileinfo/pe_version_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  fuzz::quiet();
  const auto bytes = fuzz::as_text(data, size);
  fuzz::accepts([&] {
    const auto info = upkeep::fileinfo::PeVersionInfo::parse(bytes, "fuzz.exe");
    // Every string read lies inside the input (UTF-8 grows UTF-16 by at most half).
    for (const auto& [key, value] : info.strings)
      if (key.size() + value.size() > size * 2) std::abort();
  });
  // The version block alone, as if the input were the RT_VERSION resource's data.
  fuzz::accepts([&] { upkeep::fileinfo::PeVersionInfo::parse_block(bytes, "fuzz.res"); });
  return 0;
}

// The canonical form signatures cover (Json::dump_canonical): whatever parses
// has one canonical text, which (free of control characters) parses back to
// the same value and prints the same text again.
#include <algorithm>
#include <cstdlib>

#include "fuzz_support.h"
#include "upkeep/base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using upkeep::Json;
  upkeep::fuzz::quiet();
  upkeep::fuzz::accepts([&] {
    const Json j = Json::parse(upkeep::fuzz::as_text(data, size));
    std::string canonical;
    if (!upkeep::fuzz::accepts([&] { canonical = j.dump_canonical(); })) return;  // e.g. a double: not canonical
    // By design (as securesystemslib's canonical form, which TUF signatures
    // cover) control characters stay raw, which JSON parsers refuse: such
    // text is signed, never parsed back.
    if (std::any_of(canonical.begin(), canonical.end(), [](unsigned char c) { return c < 0x20; })) return;
    Json back;
    upkeep::fuzz::must_accept([&] { back = Json::parse(canonical, "canonical JSON"); });
    if (back != j || back.dump_canonical() != canonical) std::abort();
  });
  return 0;
}

// Json::parse on any bytes: every signed file, config.json, policy and
// bundle.json goes through it. What parses must print (indented) as text
// that parses back and prints the same (1.0 prints as 1, an integer after).
#include <cstdlib>

#include "fuzz_support.h"
#include "upkeep/base/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using upkeep::Json;
  upkeep::fuzz::quiet();
  upkeep::fuzz::accepts([&] {
    const Json j = Json::parse(upkeep::fuzz::as_text(data, size));
    const std::string text = j.dump();
    upkeep::fuzz::must_accept([&] {
      if (Json::parse(text, "printed JSON").dump() != text) std::abort();
    });
  });
  return 0;
}

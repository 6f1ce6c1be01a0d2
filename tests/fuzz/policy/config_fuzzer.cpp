// config.json of an install (damaged by a crash, edited by hand, written by
// a newer version): loaded as the launcher loads it; what loads must save
// and load back the same.
#include "fuzz_support.h"
#include "upkeep/base/json.h"
#include "upkeep/policy/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  const auto dir = fuzz::Scratch::get().fresh();
  const auto file = fuzz::write_file(dir / "config.json", fuzz::as_text(data, size));
  fuzz::accepts([&] {
    const upkeep::Config c = upkeep::Config::load(file);
    const upkeep::Json saved = c.to_json();
    fuzz::must_accept([&] {
      if (upkeep::Config::from_json(saved, "saved config").to_json() != saved) std::abort();
    });
  });
  return 0;
}

// An offline bundle as `upkeep install --bundle` opens it: the trailer, its
// ranges, bundle.json, then the payload extracted against the listing.
#include "fuzz_support.h"
#include "upkeep/admin/offline_bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  const auto dir = fuzz::Scratch::get().fresh();
  const auto file = fuzz::write_file(dir / "bundle", fuzz::as_text(data, size));
  fuzz::accepts([&] {
    if (!upkeep::admin::OfflineBundle::is_bundle(file)) {  // open() must refuse it too
      if (fuzz::accepts([&] { upkeep::admin::OfflineBundle::open(file); })) std::abort();
      return;
    }
    const auto bundle = upkeep::admin::OfflineBundle::open(file);
    bundle.extract(dir / "out");
  });
  return 0;
}

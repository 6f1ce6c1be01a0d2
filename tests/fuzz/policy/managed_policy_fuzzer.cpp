// A managed policy file (an administrator's, or anyone's who can write the
// policy folder): loaded from its folder beside a valid one and applied over
// the defaults; a rejected file is reported, never fatal. Every setting it
// applies must read back.
#include "fuzz_support.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/policy/update_settings.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  const auto dir = fuzz::Scratch::get().fresh();
  fuzz::write_file(dir / "10-fleet.json", fuzz::as_text(data, size));
  fuzz::write_file(dir / "20-site.json", "{\"channel\": \"beta\"}");
  fuzz::must_accept([&] {
    const upkeep::ManagedPolicy policy = upkeep::ManagedPolicy::load(dir);
    if (policy.files().size() + policy.errors().size() != 2) std::abort();
    upkeep::UpdateSettings settings;
    policy.apply_to(settings);
    for (const std::string& key : upkeep::UpdateSettings::keys()) settings.value_of(key);
  });
  return 0;
}

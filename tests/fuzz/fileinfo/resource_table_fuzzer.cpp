// An APK's resources.arsc, as read_apk_version reads it to resolve a
// versionName given as a resource: the table parsed, then every id it
// lists (up to a few hundred) resolved, references followed.
#include "fuzz_support.h"
#include "upkeep/fileinfo/resource_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  using upkeep::fileinfo::ResourceTable;
  fuzz::accepts([&] {
    const ResourceTable table = ResourceTable::parse(fuzz::as_text(data, size), "resources.arsc");
    for (uint32_t id : table.ids(256)) fuzz::accepts([&] { table.resolve(id); });
    fuzz::accepts([&] { table.resolve(0x7f020001); });
  });
  return 0;
}

// A downloaded package's zip central directory (end record, zip64 records,
// entries), read from a file as the stager reads it.
#include "fuzz_support.h"
#include "upkeep/update/zip_directory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upkeep::zip;
  auto& scratch = upkeep::fuzz::Scratch::get();
  const auto file = upkeep::fuzz::write_file(scratch.fresh() / "package.zip", upkeep::fuzz::as_text(data, size));
  upkeep::fuzz::accepts([&] {
    ZipFile zip(file);
    const CentralDirectory cd = read_central_directory(zip);
    for (const CentralEntry& e : cd.entries) printable(e.name);
  });
  return 0;
}

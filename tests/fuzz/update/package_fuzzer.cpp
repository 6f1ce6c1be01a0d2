// A package as the stager extracts it: files.json (the signed manifest) and
// the zip checked against it, then extracted into a fresh folder.
// Input: u32 length, files.json, the zip (tests/fuzz/make_corpus.sh).
#include "fuzz_support.h"
#include "upkeep/install/manifest.h"
#include "upkeep/update/package.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  fuzz::Parts parts(fuzz::as_text(data, size));
  const std::string_view manifest_text = parts.part();
  const auto dir = fuzz::Scratch::get().fresh();
  const auto zip = fuzz::write_file(dir / "package.zip", parts.rest());
  fuzz::accepts([&] {
    const upkeep::FileManifest manifest = upkeep::FileManifest::parse(manifest_text);
    if (manifest.total_size() > (1u << 20)) return;  // the fuzzer's limit: a real disk holds more than 1 MiB
    upkeep::extract_package(zip, dir / "out", manifest);
    manifest.verify_directory(dir / "out", upkeep::FileManifest::Depth::kFull);
  });
  return 0;
}

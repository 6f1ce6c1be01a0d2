// delta.zst as the delta stager reads it: the zstd container, files.json
// and the delta index inside, the index checked against the manifest. The
// signed lengths and hashes are taken from the input itself, so that the
// fuzzer reaches what follows the hash checks.
#include "fuzz_support.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/delta_bundle.h"
#include "upkeep/delta/delta_index.h"
#include "upkeep/delta/zstd_blob.h"
#include "upkeep/install/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upkeep::delta;
  upkeep::fuzz::quiet();
  const std::string_view bundle = upkeep::fuzz::as_text(data, size);
  const Stored signed_bundle{bundle.size(), upkeep::sha256_hex(bundle)};
  upkeep::fuzz::accepts([&] {
    const std::string content = zstd_decompress(bundle, kMaxBundleContent, "delta.zst");
    const std::string_view manifest = std::string_view(content).substr(0, content.find('\n'));
    const Stored signed_manifest{manifest.size(), upkeep::sha256_hex(manifest)};
    const DeltaBundle b = unpack_delta_bundle(bundle, signed_bundle, signed_manifest, "delta.zst");
    upkeep::FileManifest m = upkeep::FileManifest::parse(b.manifest_text);
    DeltaIndex index = DeltaIndex::parse(b.index_text);
    index.check_matches(m);
  });
  return 0;
}

// files.json as signed and served: the file manifest (paths, sizes, hashes,
// modes, links, hooks, launch spec), its canonical form (which must parse
// back to the same text) and link resolution for every path it lists.
#include "fuzz_support.h"
#include "upkeep/install/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using upkeep::FileManifest;
  upkeep::fuzz::quiet();
  const std::string_view text = upkeep::fuzz::as_text(data, size);
  upkeep::is_safe_relative_path(text);
  upkeep::fuzz::accepts([&] {
    const FileManifest m = FileManifest::parse(text);
    const std::string canonical = m.to_json();
    upkeep::fuzz::must_accept([&] {
      if (FileManifest::parse(canonical).to_json() != canonical) std::abort();
    });
    m.total_size();
    m.listing_digest();
    for (const upkeep::FileEntry& f : m.files()) {
      if (m.find(f.path) != &f) std::abort();
      upkeep::fuzz::accepts([&] { m.resolve(f.path); });
    }
  });
  return 0;
}

// A .gz file as the gzip-aware patch reads its source: the member's header
// and deflate stream inflated (at most 1 MiB here), and the level that
// reproduces it looked for.
#include "fuzz_support.h"
#include "upkeep/delta/gzip_member.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  const auto dir = fuzz::Scratch::get().fresh();
  const auto file = fuzz::write_file(dir / "file.gz", fuzz::as_text(data, size));
  fuzz::accepts([&] {
    const auto member = upkeep::delta::inflate_gzip(file, dir / "content", 1u << 20);
    if (!member) return;
    if (member->header.size() + member->deflate_length > size) std::abort();
    upkeep::delta::reproducing_level(file, *member, dir / "content");
  });
  return 0;
}

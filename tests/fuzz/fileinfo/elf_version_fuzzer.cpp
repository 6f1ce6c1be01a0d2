// An ELF file as `upkeep version-of` reads it: the section header table, the
// section names and the notes of .note.upkeep.version, from memory.
#include "fuzz_support.h"
#include "upkeep/fileinfo/elf_version_note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fuzz = upkeep::fuzz;
  fuzz::quiet();
  fuzz::accepts([&] {
    const auto version = upkeep::fileinfo::ElfVersionNote::parse(fuzz::as_text(data, size), "fuzz.elf");
    if (version && version->size() > upkeep::fileinfo::ElfVersionNote::kMaxVersionBytes) std::abort();
  });
  return 0;
}

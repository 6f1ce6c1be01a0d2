// Where an x86-64 ELF file's imported symbols have their slots: each GOT
// slot and PLT entry, by the name of the symbol it serves. A new import
// shifts every slot after it, and the slots hold no content a byte match
// could align, so the elf patch's address map (address_map.h) takes these
// runs from the symbol names instead: old slot of `memcpy` to new slot of
// `memcpy`. Vendor side only (the runs are stored in the patch).
// Free function over bytes the caller keeps; thread-safe.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "upkeep/delta/address_map.h"
#include "upkeep/delta/elf_layout.h"

namespace upkeep::delta {

struct SymbolSlotRuns {
  std::vector<std::pair<uint64_t, uint64_t>> sections;  // new file (offset, length) of .plt, .got, .got.plt
  std::vector<AddressMap::Run> runs;                    // each paired slot, new onto old
};

SymbolSlotRuns symbol_slot_runs(const ElfLayout& old_layout, const unsigned char* old_data, const ElfLayout& new_layout,
                                const unsigned char* new_data);

}  // namespace upkeep::delta

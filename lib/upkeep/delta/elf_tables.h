// The tables of an x86-64 ELF file that the linker derives from the rest of
// it, predicted entry by entry so that an elf patch (elf_patch.h) stores each
// entry's difference from its prediction (0 when right) instead of a value
// that changed because code moved:
//   .eh_frame      each FDE's CIE pointer (the previous FDE's CIE) and the
//                  start of its function (the previous FDE's end);
//   .eh_frame_hdr  the search table: the FDEs sorted by start, as the linker
//                  makes it from .eh_frame;
//   .rela.dyn, .rela.plt  each relocation's place (the previous one's + 8)
//                  and a relative relocation's addend (the value stored at
//                  its place, which the linker writes there too).
// A prediction reads only bytes in their final form on both sides: `raw`
// is the real file on the vendor's side; on the client's it is `data`
// itself, rewritten in the order below, after the references of code and
// pointer tables (elf_patch.cpp) are restored. A table in an unexpected form
// only makes predictions wrong, never the patch. Thread-safe for distinct
// buffers.
#pragma once

#include <cstdint>

#include "upkeep/delta/elf_layout.h"

namespace upkeep::delta {

enum class TableDirection { kSubtract, kAdd };

// Rewrites every table of `layout` in `data` in place.
void rewrite_elf_tables(const ElfLayout& layout, unsigned char* data, const unsigned char* raw,
                        TableDirection direction);

}  // namespace upkeep::delta

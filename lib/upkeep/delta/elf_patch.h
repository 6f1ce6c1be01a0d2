// Elf patches (internal to delta/; PatchAlgorithm::kElf, "elf"): an
// executable-aware patch for x86-64 ELF programs and libraries, after the
// idea of Chromium's Zucchini. When a new version inserts code, every call,
// jump and RIP-relative operand that reaches across the insertion changes
// its value, and so does every pointer and unwind entry after it; a
// byte-level diff pays for each. Here those values are predicted instead.
//
// The vendor maps the new file onto the old (AddressMap, address_map.h) and,
// for each reference of the new file at a place that maps onto a reference
// of the old file (elf_reference.h), predicts its target by carrying the old
// target through the map. The value is rewritten as the old file's value
// plus the prediction's error, so a right prediction leaves exactly the old
// bytes there. The patch is that *normalised* file as a zstd patch-from the
// old file, with the map. The client rebuilds the normalised file, then puts
// each value back, deciding where references are from the old file, the map
// and bytes the rewrite leaves alone (see elf_patch.cpp), so both sides
// decide alike; the SHA-256 of the result is checked as for every patch.
//
// The inner patch is made from the old file with its own tables rewritten
// the same way (against its own predictions), so that a table that did not
// change costs nothing. Container (integers little-endian):
//   "UPKELF02" | map frame length (u64) | map (one zstd frame) |
//   inner patch (one zstd patch-from frame, kZstdLong's, from that old file)
// ("UPKELF01", still read: the same from the old file as it is.)
// Memory: both sides map the old file and the output, and a private copy of
// the old file in which only the tables' pages are written; the vendor also holds
// two masked copies and the normalised copy of the files (about 4x the new
// file), the client only the map (a few MB for a browser's main library).
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace upkeep::delta {

// False (and no `dest`) when either file is not an x86-64 ELF file.
bool make_elf_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                    const std::filesystem::path& dest);
std::string apply_elf_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                            const std::filesystem::path& dest, uint64_t expected_size);

}  // namespace upkeep::delta

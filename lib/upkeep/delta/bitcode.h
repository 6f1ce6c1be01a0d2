// LLVM bitcode as a byte-aligned stream (internal to delta/), the
// content a bitcode patch (bitcode_patch.h) diffs.
//
// Bitcode packs every field without byte alignment, so a changed field
// moves all later ones by a few bits and byte-level diffs find little.
// decode_bitcode() walks the bit stream's generic structure (blocks,
// abbreviation definitions, BLOCKINFO, abbreviated and unabbreviated
// records, arrays, blobs; LLVM's docs/BitCodeFormat) and writes every value
// it reads as a LEB128 varint, blobs as their bytes: the same record now
// gives the same bytes wherever it sits. encode_bitcode() is the inverse,
// driven by the same walker (one grammar, two directions), writing values
// in their canonical form. So decode/encode gives back the file exactly
// when its writer was canonical, as LLVM's is; decode_bitcode() checks that
// on the file itself and declines otherwise.
//
// Both sides are bounded: nesting depth, abbreviation counts and widths are
// limited, element counts are checked against the input left, and the
// decoded form may be at most kMaxDecodedRatio times the file.
// Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::delta {

constexpr uint64_t kMaxDecodedRatio = 16;

// The decoded form of `file`, or nullopt when it is not bitcode this walker
// reads (not starting with the magic, malformed, beyond the bounds) or does
// not encode back to exactly `file`.
std::optional<std::string> decode_bitcode(std::string_view file);

// The bitcode of a decoded form. Error(kVerification) naming `what` when
// `decoded` is malformed or would encode to more than `max_size` bytes.
std::string encode_bitcode(std::string_view decoded, uint64_t max_size, const std::string& what);

}  // namespace upkeep::delta

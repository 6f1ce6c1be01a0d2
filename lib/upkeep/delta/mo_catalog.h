// GNU gettext message catalogs (.mo) as a form that diffs well (internal to
// delta/), the content a catalog patch (mo_patch.h) diffs.
//
// A .mo file is a header, two tables of (length, offset) pairs, the
// original and the translated strings, and a hash table of string numbers
// (gettext's hashpjw with double hashing, sized to the next prime above
// 4/3 of the count). One added message moves every later offset and
// reshuffles the hash table, so a byte-level diff pays for both tables
// although the strings barely changed (postgres-15.mo, de: 47.6 KB of bsdiff
// for a handful of new messages). decode_mo() keeps the file's bytes but
// writes each offset as its distance from the end of the string before it
// (0 for msgfmt's contiguous layout) and zeroes the hash table;
// encode_mo() puts the offsets back and recomputes the hash table as msgfmt
// does. decode_mo() declines a file that does not come back exactly that
// way (another writer's layout, a big-endian or revision > 0 catalog).
//
// Both directions are bounded by the file: tables and strings must lie
// inside it, the hash table must have room for every string, and probing
// stops after as many steps as it has slots.
// Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::delta {

// True when `bytes` starts with a little-endian .mo magic (0x950412de).
bool is_mo_catalog(std::string_view bytes);

// The decoded form (as long as the file), or nullopt (see above).
std::optional<std::string> decode_mo(std::string_view file);

// The catalog of a decoded form. Error(kVerification) naming `what` when
// `decoded` is malformed or longer than `max_size` bytes.
std::string encode_mo(std::string_view decoded, uint64_t max_size, const std::string& what);

}  // namespace upkeep::delta

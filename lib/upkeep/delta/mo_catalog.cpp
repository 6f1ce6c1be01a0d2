#include "upkeep/delta/mo_catalog.h"

#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr uint32_t kMoMagic = 0x950412de;
constexpr size_t kMoHeaderSize = 28;  // revision 0: magic, revision, N, O, T, S, H

uint32_t u32(std::string_view b, uint64_t at) {
  return static_cast<uint32_t>(get_le(reinterpret_cast<const unsigned char*>(b.data()) + at, 4));
}
void set_u32(std::string& b, uint64_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
}

// The layout a header describes, checked against the file's size.
struct CatalogLayout {
  uint32_t count = 0, originals = 0, translations = 0, hash_size = 0, hash_offset = 0;
};

// nullopt when the header is not a revision-0 little-endian catalog whose
// tables fit in `size` bytes without overlapping each other or the header.
std::optional<CatalogLayout> layout_of(std::string_view b) {
  if (b.size() < kMoHeaderSize || u32(b, 0) != kMoMagic || u32(b, 4) != 0) return std::nullopt;
  CatalogLayout l{u32(b, 8), u32(b, 12), u32(b, 16), u32(b, 20), u32(b, 24)};
  const uint64_t size = b.size();
  const uint64_t table = 8ull * l.count, hash = 4ull * l.hash_size;
  struct Range {
    uint64_t begin, end;
  };
  const Range ranges[] = {{0, kMoHeaderSize},
                          {l.originals, l.originals + table},
                          {l.translations, l.translations + table},
                          {l.hash_offset, l.hash_offset + hash}};
  for (const Range& r : ranges)
    if (r.end > size) return std::nullopt;
  for (size_t i = 0; i < 4; ++i)
    for (size_t j = i + 1; j < 4; ++j)
      if (ranges[i].begin < ranges[j].end && ranges[j].begin < ranges[i].end && ranges[i].begin != ranges[i].end &&
          ranges[j].begin != ranges[j].end)
        return std::nullopt;
  if (l.hash_size != 0 && (l.hash_size <= 2 || l.count >= l.hash_size)) return std::nullopt;
  return l;
}

// gettext's hash_string (hashpjw) over the string up to its first NUL or `len`.
uint32_t hash_string(std::string_view s) {
  uint32_t h = 0;
  for (unsigned char c : s) {
    if (c == 0) break;
    h = (h << 4) + c;
    if (uint32_t g = h & 0xf0000000u; g != 0) {
      h ^= g >> 24;
      h ^= g;
    }
  }
  return h;
}

// Rewrites both tables' offsets: to distances (decode) or back (encode).
// The running end starts at 0: the first offset is stored as itself.
void convert_offsets(std::string& b, const CatalogLayout& l, bool to_distance) {
  uint32_t end = 0;
  for (uint32_t table : {l.originals, l.translations})
    for (uint32_t i = 0; i < l.count; ++i) {
      const uint64_t at = table + 8ull * i;
      const uint32_t len = u32(b, at), stored = u32(b, at + 4);
      const uint32_t offset = to_distance ? stored : stored + end;
      set_u32(b, at + 4, to_distance ? offset - end : offset);
      end = offset + len + 1;
    }
}

// msgfmt's hash table (write-mo.c) of the original strings, into `b`;
// false when a string lies outside the file or the table cannot hold them.
bool fill_hash_table(std::string& b, const CatalogLayout& l) {
  if (l.hash_size == 0) return true;
  std::vector<uint32_t> slots(l.hash_size, 0);
  for (uint32_t j = 0; j < l.count; ++j) {
    const uint64_t len = u32(b, l.originals + 8ull * j), offset = u32(b, l.originals + 8ull * j + 4);
    if (offset + len > b.size()) return false;
    const uint32_t h = hash_string(std::string_view(b).substr(offset, len));
    uint32_t idx = h % l.hash_size;
    if (slots[idx] != 0) {
      const uint32_t incr = 1 + h % (l.hash_size - 2);
      uint32_t probes = 0;
      do {
        idx = idx >= l.hash_size - incr ? idx - (l.hash_size - incr) : idx + incr;
        if (++probes > l.hash_size) return false;  // a stride that never finds a free slot
      } while (slots[idx] != 0);
    }
    slots[idx] = j + 1;
  }
  for (uint32_t i = 0; i < l.hash_size; ++i) set_u32(b, l.hash_offset + 4ull * i, slots[i]);
  return true;
}

}  // namespace

bool is_mo_catalog(std::string_view bytes) { return bytes.size() >= 4 && u32(bytes, 0) == kMoMagic; }

std::optional<std::string> decode_mo(std::string_view file) {
  const auto l = layout_of(file);
  if (!l) return std::nullopt;
  std::string decoded(file);
  convert_offsets(decoded, *l, true);
  for (uint32_t i = 0; i < l->hash_size; ++i) set_u32(decoded, l->hash_offset + 4ull * i, 0);
  std::string back = decoded;
  convert_offsets(back, *l, false);
  if (!fill_hash_table(back, *l) || back != file) return std::nullopt;
  return decoded;
}

std::string encode_mo(std::string_view decoded, uint64_t max_size, const std::string& what) {
  if (decoded.size() > max_size)
    fail(ErrorCode::kVerification, what + ": a decoded catalog of " + std::to_string(decoded.size()) +
                                       " bytes is longer than the " + std::to_string(max_size) + " expected");
  const auto l = layout_of(decoded);
  if (!l)
    fail(ErrorCode::kVerification, what + ": the decoded form is not a message catalog (header or tables outside its " +
                                       std::to_string(decoded.size()) + " bytes)");
  std::string b(decoded);
  convert_offsets(b, *l, false);
  if (!fill_hash_table(b, *l))
    fail(ErrorCode::kVerification, what + ": the decoded catalog's strings or hash table do not fit");
  return b;
}

}  // namespace upkeep::delta

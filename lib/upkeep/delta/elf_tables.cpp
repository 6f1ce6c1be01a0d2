#include "upkeep/delta/elf_tables.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr uint64_t kIndexTableAt = 12;  // version, three encodings, eh_frame_ptr, fde_count
constexpr uint64_t kExtendedLength = 0xffffffff;

class Rewriter {
 public:
  Rewriter(unsigned char* data, TableDirection direction) : data_(data), direction_(direction) {}
  // Replaces the `width`-byte value at `offset` by its difference from
  // `predicted`, or back.
  void apply(uint64_t offset, int width, uint64_t predicted) const {
    unsigned char* p = data_ + offset;
    const uint64_t v = get_le(p, width);
    set_le(p, direction_ == TableDirection::kSubtract ? v - predicted : v + predicted, width);
  }

 private:
  unsigned char* data_;
  TableDirection direction_;
};

// Calls f(offset of the record in the region, its length) for each record
// (CIE or FDE) of an .eh_frame region; lengths are never rewritten.
template <typename F>
void for_each_record(const ElfRegion& eh, const unsigned char* raw, F f) {
  const unsigned char* d = raw + eh.offset;
  for (uint64_t at = 0; at + 4 <= eh.size;) {
    const uint64_t length = get_le(d + at, 4);
    if (length == 0 || length == kExtendedLength || length > eh.size - at - 4) break;
    f(at, length);
    at += 4 + length;
  }
}

// Every record's second field is rewritten, a CIE's id (0) too: whether a
// record is an FDE is known only once that field is restored.
void rewrite_frames(const ElfRegion& eh, const unsigned char* raw, const Rewriter& w) {
  const unsigned char* d = raw + eh.offset;
  uint64_t last_cie = 0, last_end = 0;
  for_each_record(eh, raw, [&](uint64_t at, uint64_t length) {
    if (length < 4) return;
    const uint64_t addr = eh.addr + at;
    w.apply(eh.offset + at + 4, 4, addr + 4 - last_cie);
    // Read after the rewrite: on the client `raw` is the buffer being restored.
    const uint64_t id = get_le(d + at + 4, 4);
    if (id == 0) {
      last_cie = addr;
    } else if (length >= 12) {
      w.apply(eh.offset + at + 8, 4, last_end - (addr + 8));
      last_cie = addr + 4 - id;
      last_end = addr + 8 + get_le_s32(d + at + 8) + get_le(d + at + 12, 4);  // start + pc_range
    }
  });
}

void rewrite_index(const ElfRegion& hdr, const ElfRegion& eh, const unsigned char* raw, const Rewriter& w) {
  if (hdr.size < kIndexTableAt) return;
  std::vector<std::pair<uint64_t, uint64_t>> fdes;  // (function start, FDE address)
  for_each_record(eh, raw, [&](uint64_t at, uint64_t length) {
    const unsigned char* r = raw + eh.offset + at;
    if (length >= 12 && get_le(r + 4, 4) != 0)  // an FDE: a CIE has id 0
      fdes.emplace_back(eh.addr + at + 8 + get_le_s32(r + 8), eh.addr + at);
  });
  std::stable_sort(fdes.begin(), fdes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  const uint64_t slots = std::min<uint64_t>((hdr.size - kIndexTableAt) / 8, fdes.size());
  for (uint64_t i = 0; i < slots; ++i) {
    w.apply(hdr.offset + kIndexTableAt + 8 * i, 4, fdes[i].first - hdr.addr);
    w.apply(hdr.offset + kIndexTableAt + 8 * i + 4, 4, fdes[i].second - hdr.addr);
  }
}

void rewrite_relocations(const ElfLayout& layout, const ElfRegion& rela, const unsigned char* raw, const Rewriter& w) {
  uint64_t last_place = 0;
  for (uint64_t at = rela.offset; at + elf::kRelaEntry <= rela.offset + rela.size; at += elf::kRelaEntry) {
    w.apply(at, 8, last_place + 8);
    const uint64_t place = get_le(raw + at, 8);  // after the rewrite: see rewrite_frames
    last_place = place;
    if (get_le(raw + at + 8, 8) != elf::kRelative) continue;
    // The addend is also stored at the place, when that is in a pointer
    // table (restored before this runs on the client).
    const std::optional<uint64_t> stored = layout.offset_of(place);
    if (!stored) continue;
    const ElfRegion* r = layout.region_at(*stored);
    if (!r || r->kind != RegionKind::kPointers || r->offset + r->size - *stored < 8) continue;
    w.apply(at + 16, 8, get_le(raw + *stored, 8));
  }
}

}  // namespace

void rewrite_elf_tables(const ElfLayout& layout, unsigned char* data, const unsigned char* raw,
                        TableDirection direction) {
  const Rewriter w(data, direction);
  const ElfRegion* eh = nullptr;
  for (const ElfRegion& r : layout.regions())
    if (r.kind == RegionKind::kUnwindFrames) eh = &r;
  for (const ElfRegion& r : layout.regions())
    if (r.kind == RegionKind::kRelocations) rewrite_relocations(layout, r, raw, w);
  // Frames before the index: the index is predicted from .eh_frame in its final form.
  if (eh) {
    rewrite_frames(*eh, raw, w);
    for (const ElfRegion& r : layout.regions())
      if (r.kind == RegionKind::kUnwindIndex) rewrite_index(r, *eh, raw, w);
  }
}

}  // namespace upkeep::delta

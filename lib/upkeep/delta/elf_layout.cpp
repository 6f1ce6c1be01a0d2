#include "upkeep/delta/elf_layout.h"

#include <algorithm>
#include <cstring>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr uint64_t kElfHeaderSize = 64;
constexpr uint64_t kSectionHeaderSize = 64;
constexpr uint16_t kMachineX86_64 = 62;
constexpr uint32_t kShtNobits = 8;
constexpr uint64_t kShfAlloc = 2;
constexpr uint64_t kShfExecinstr = 4;
constexpr uint32_t kMaxSections = 1 << 16;

bool fits(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len) { return a < b + b_len && b < a + a_len; }

// The kind of references a section holds, by its name (the linkers' names;
// a section under another name is simply not rewritten).
std::optional<RegionKind> kind_of(const ElfSection& s) {
  if (s.exec) return RegionKind::kCode;
  static const char* const pointers[] = {".data.rel.ro", ".init_array", ".fini_array", ".data",
                                         ".got",         ".got.plt",    ".dynsym"};
  for (const char* n : pointers)
    if (s.name == n) return RegionKind::kPointers;
  if (s.name == ".eh_frame") return RegionKind::kUnwindFrames;
  if (s.name == ".rela.dyn" || s.name == ".rela.plt") return RegionKind::kRelocations;
  if (s.name == ".eh_frame_hdr") return RegionKind::kUnwindIndex;
  return std::nullopt;
}

}  // namespace

bool is_x86_64_elf_header(const unsigned char* d, uint64_t size) {
  constexpr char kIdent[] =
      "\x7f"
      "ELF\x02\x01";  // ELF, 64-bit, little-endian
  return size >= 20 && std::memcmp(d, kIdent, 6) == 0 && get_le(d + 18, 2) == kMachineX86_64;
}

std::optional<ElfLayout> ElfLayout::parse(const unsigned char* d, uint64_t size) {
  if (size < kElfHeaderSize || !is_x86_64_elf_header(d, size)) return std::nullopt;
  const uint64_t phoff = get_le(d + 32, 8), shoff = get_le(d + 40, 8);
  const uint64_t phentsize = get_le(d + 54, 2), phnum = get_le(d + 56, 2);
  const uint64_t shentsize = get_le(d + 58, 2), shnum = get_le(d + 60, 2), shstrndx = get_le(d + 62, 2);
  if (shentsize != kSectionHeaderSize || shnum == 0 || shnum > kMaxSections || shstrndx >= shnum) return std::nullopt;
  if (!fits(shoff, shnum * kSectionHeaderSize, size) || !fits(phoff, phnum * phentsize, size)) return std::nullopt;

  const unsigned char* names = d + shoff + shstrndx * kSectionHeaderSize;
  const uint64_t names_off = get_le(names + 24, 8), names_size = get_le(names + 32, 8);
  if (!fits(names_off, names_size, size)) return std::nullopt;
  // Bytes a region must not cover: read back from the rewritten file.
  const uint64_t header_end = std::max(kElfHeaderSize, phoff + phnum * phentsize);

  ElfLayout layout;
  for (uint64_t i = 1; i < shnum; ++i) {
    const unsigned char* h = d + shoff + i * kSectionHeaderSize;
    const uint64_t flags = get_le(h + 8, 8);
    if (!(flags & kShfAlloc)) continue;
    ElfSection s;
    const uint64_t name = get_le(h, 4);
    if (name < names_size) {
      const char* begin = reinterpret_cast<const char*>(d + names_off + name);
      s.name.assign(begin, strnlen(begin, names_size - name));
    }
    s.addr = get_le(h + 16, 8);
    s.offset = get_le(h + 24, 8);
    s.size = get_le(h + 32, 8);
    s.in_file = get_le(h + 4, 4) != kShtNobits;
    s.exec = (flags & kShfExecinstr) != 0;
    if (s.addr + s.size < s.addr) return std::nullopt;
    if (s.in_file && !fits(s.offset, s.size, size)) return std::nullopt;
    layout.sections_.push_back(std::move(s));
  }
  std::sort(layout.sections_.begin(), layout.sections_.end(),
            [](const ElfSection& a, const ElfSection& b) { return a.addr < b.addr; });

  layout.image_low_ = UINT64_MAX;
  for (const ElfSection& s : layout.sections_) {
    if (s.size == 0) continue;
    if (s.addr >= header_end) layout.image_low_ = std::min(layout.image_low_, s.addr);
    layout.image_high_ = std::max(layout.image_high_, s.addr + s.size);
    const std::optional<RegionKind> kind = kind_of(s);
    if (!kind || !s.in_file) continue;
    if (overlaps(s.offset, s.size, 0, header_end) || overlaps(s.offset, s.size, shoff, shnum * kSectionHeaderSize) ||
        overlaps(s.offset, s.size, names_off, names_size))
      continue;
    layout.regions_.push_back({s.offset, s.size, s.addr, *kind});
  }
  for (const ElfSection& s : layout.sections_) {
    if (s.in_file && s.size > 0) layout.in_file_.push_back(s);
    if (s.exec && s.size > 0) layout.code_.emplace_back(s.addr, s.addr + s.size);
  }
  std::sort(layout.in_file_.begin(), layout.in_file_.end(),
            [](const ElfSection& a, const ElfSection& b) { return a.offset < b.offset; });
  if (layout.image_low_ == UINT64_MAX) layout.image_low_ = layout.image_high_;
  std::sort(layout.regions_.begin(), layout.regions_.end(),
            [](const ElfRegion& a, const ElfRegion& b) { return a.offset < b.offset; });
  // Overlapping sections (a hostile file's): keep the first of each overlap.
  std::vector<ElfRegion> disjoint;
  for (const ElfRegion& r : layout.regions_)
    if (disjoint.empty() || r.offset >= disjoint.back().offset + disjoint.back().size) disjoint.push_back(r);
  layout.regions_ = std::move(disjoint);
  return layout;
}

const ElfRegion* ElfLayout::region_at(uint64_t offset) const {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), offset,
                             [](uint64_t o, const ElfRegion& r) { return o < r.offset; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return offset - it->offset < it->size ? &*it : nullptr;
}

const ElfSection* ElfLayout::section_at(uint64_t addr) const {
  auto it = std::upper_bound(sections_.begin(), sections_.end(), addr,
                             [](uint64_t a, const ElfSection& s) { return a < s.addr; });
  // Sections may be empty or nested (.tbss): look back a little for one that holds addr.
  for (int back = 0; back < 4 && it != sections_.begin(); ++back) {
    --it;
    if (addr - it->addr < it->size) return &*it;
  }
  return nullptr;
}

std::optional<uint64_t> ElfLayout::offset_of(uint64_t addr) const {
  const ElfSection* s = section_at(addr);
  if (!s || !s->in_file) return std::nullopt;
  return s->offset + (addr - s->addr);
}

std::optional<uint64_t> ElfLayout::address_of(uint64_t offset) const {
  auto it = std::upper_bound(in_file_.begin(), in_file_.end(), offset,
                             [](uint64_t o, const ElfSection& s) { return o < s.offset; });
  if (it == in_file_.begin()) return std::nullopt;
  --it;
  if (offset - it->offset >= it->size) return std::nullopt;
  return it->addr + (offset - it->offset);
}

const ElfSection* ElfLayout::section_named(std::string_view name) const {
  for (const ElfSection& s : sections_)
    if (s.name == name) return &s;
  return nullptr;
}

bool ElfLayout::is_code(uint64_t addr) const {
  // A handful of executable sections: a scan beats a search.
  for (const auto& [begin, end] : code_)
    if (addr >= begin && addr < end) return true;
  return false;
}

}  // namespace upkeep::delta

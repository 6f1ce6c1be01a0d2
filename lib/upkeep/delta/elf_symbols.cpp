#include "upkeep/delta/elf_symbols.h"

#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr uint64_t kPltEntry = 16;

// Slot address (and size) by symbol name, of one file.
using Slots = std::unordered_map<std::string, std::pair<uint64_t, uint64_t>>;

// The names of a file's dynamic symbols, by index (looked up once per file).
class DynamicSymbols {
 public:
  DynamicSymbols(const ElfLayout& layout, const unsigned char* d)
      : d_(d), sym_(layout.section_named(".dynsym")), str_(layout.section_named(".dynstr")) {
    if (!sym_ || !str_ || !sym_->in_file || !str_->in_file) sym_ = str_ = nullptr;
  }
  // "" when there is no such symbol or its name is outside the string table.
  std::string_view name(uint64_t index) const {
    if (!sym_ || index >= sym_->size / elf::kSymbolEntry) return {};
    const uint64_t at = get_le(d_ + sym_->offset + index * elf::kSymbolEntry, 4);
    if (at >= str_->size) return {};
    const char* begin = reinterpret_cast<const char*>(d_ + str_->offset + at);
    return {begin, strnlen(begin, str_->size - at)};
  }

 private:
  const unsigned char* d_;
  const ElfSection* sym_;
  const ElfSection* str_;
};

Slots slots_of(const ElfLayout& layout, const unsigned char* d) {
  const DynamicSymbols symbols(layout, d);
  const ElfSection* plt = layout.section_named(".plt");
  Slots slots;
  for (const char* name : {".rela.dyn", ".rela.plt"}) {
    const ElfSection* rela = layout.section_named(name);
    if (!rela || !rela->in_file) continue;
    const uint64_t entries = rela->size / elf::kRelaEntry;
    // A lazy PLT: a header entry, then one entry per .rela.plt relocation, in order.
    const bool lazy_plt = plt && std::string_view(name) == ".rela.plt" && plt->size == (entries + 1) * kPltEntry;
    for (uint64_t i = 0; i < entries; ++i) {
      const unsigned char* e = d + rela->offset + i * elf::kRelaEntry;
      const uint64_t info = get_le(e + 8, 8), type = info & 0xffffffff;
      if (type != elf::kGlobDat && type != elf::kJumpSlot) continue;
      const std::string_view symbol = symbols.name(info >> 32);
      if (symbol.empty()) continue;
      slots.emplace(std::string(symbol), std::pair{get_le(e, 8), uint64_t{8}});
      if (lazy_plt && type == elf::kJumpSlot)
        slots.emplace(std::string(symbol) + "@plt", std::pair{plt->addr + (i + 1) * kPltEntry, kPltEntry});
    }
  }
  return slots;
}

}  // namespace

SymbolSlotRuns symbol_slot_runs(const ElfLayout& old_layout, const unsigned char* old_data, const ElfLayout& new_layout,
                                const unsigned char* new_data) {
  SymbolSlotRuns out;
  for (const char* name : {".plt", ".got", ".got.plt"})
    if (const ElfSection* s = new_layout.section_named(name); s && s->in_file)
      out.sections.emplace_back(s->offset, s->size);
  const Slots old_slots = slots_of(old_layout, old_data);
  for (const auto& [symbol, slot] : slots_of(new_layout, new_data)) {
    auto it = old_slots.find(symbol);
    if (it == old_slots.end() || it->second.second != slot.second) continue;
    const std::optional<uint64_t> n = new_layout.offset_of(slot.first), o = old_layout.offset_of(it->second.first);
    if (n && o) out.runs.push_back({*n, *o, slot.second});
  }
  return out;
}

}  // namespace upkeep::delta

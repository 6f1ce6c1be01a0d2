// ElfLayout: what the executable-aware patch (elf_patch.h) needs to know of
// an x86-64 ELF file: where each section lies in the file and in memory, and
// which of them hold references (code, pointer tables, unwind tables).
//
// Only ELF64 little-endian x86-64 files parse (ElfLayout::parse gives
// nullopt for anything else, including a malformed or truncated header
// table); every offset and size is checked against the file, so a hostile
// file cannot make a reader leave it. Sections whose bytes overlap the
// headers, the section header table or the section name table are left out
// of regions(): the patch rewrites region bytes in place and must be able to
// read the layout again from the rewritten file.
// Immutable after parse; thread-safe to read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upkeep::delta {

// Sizes and relocation types of the x86-64 ELF ABI that the elf patch reads.
namespace elf {
constexpr uint64_t kRelaEntry = 24;
constexpr uint64_t kSymbolEntry = 24;
constexpr uint64_t kRelative = 8;  // R_X86_64_RELATIVE
constexpr uint64_t kGlobDat = 6;   // R_X86_64_GLOB_DAT
constexpr uint64_t kJumpSlot = 7;  // R_X86_64_JUMP_SLOT
}  // namespace elf

// What a region's references look like; stored in no file (a patch names
// none of them), so the numbers may change.
enum class RegionKind {
  kCode,          // x86-64 instructions: rel32 branches and RIP-relative operands
  kPointers,      // 8-byte aligned absolute addresses (.data.rel.ro, .got, ...)
  kUnwindFrames,  // .eh_frame (elf_tables.h)
  kUnwindIndex,   // .eh_frame_hdr's search table (elf_tables.h)
  kRelocations,   // .rela.dyn, .rela.plt (elf_tables.h)
};

struct ElfSection {
  std::string name;
  uint64_t addr = 0;    // in memory
  uint64_t offset = 0;  // in the file; meaningless when !in_file
  uint64_t size = 0;
  bool in_file = false;  // false for NOBITS (.bss)
  bool exec = false;
};

struct ElfRegion {
  uint64_t offset = 0;  // file range [offset, offset + size)
  uint64_t size = 0;
  uint64_t addr = 0;  // address of `offset`
  RegionKind kind = RegionKind::kCode;
};

// Whether the `size` bytes at `data` start as an ELF64 little-endian x86-64
// file's header (its identification and machine: 20 bytes are enough).
bool is_x86_64_elf_header(const unsigned char* data, uint64_t size);

class ElfLayout {
 public:
  static std::optional<ElfLayout> parse(const unsigned char* data, uint64_t size);

  const std::vector<ElfSection>& sections() const { return sections_; }
  // Sorted by offset, disjoint.
  const std::vector<ElfRegion>& regions() const { return regions_; }
  // The region holding file offset `offset`, or nullptr.
  const ElfRegion* region_at(uint64_t offset) const;
  // The file offset of an address inside a section with file bytes, and
  // the address of such an offset.
  std::optional<uint64_t> offset_of(uint64_t addr) const;
  std::optional<uint64_t> address_of(uint64_t offset) const;
  // The allocated section holding `addr` (NOBITS ones too), or nullptr.
  const ElfSection* section_at(uint64_t addr) const;
  const ElfSection* section_named(std::string_view name) const;
  // Whether `addr` is in an executable section.
  bool is_code(uint64_t addr) const;
  // [image_low, image_high): the allocated sections' address span past the
  // headers; an 8-byte value outside it is not taken for a pointer.
  uint64_t image_low() const { return image_low_; }
  uint64_t image_high() const { return image_high_; }

 private:
  std::vector<ElfSection> sections_;                 // allocated ones, sorted by address
  std::vector<ElfSection> in_file_;                  // those with file bytes, sorted by offset
  std::vector<std::pair<uint64_t, uint64_t>> code_;  // [addr, end) of executable sections
  std::vector<ElfRegion> regions_;
  uint64_t image_low_ = 0;
  uint64_t image_high_ = 0;
};

}  // namespace upkeep::delta

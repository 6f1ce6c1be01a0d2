// ElfReference: one place in an x86-64 ELF file that holds the address of
// another (a call's rel32, a RIP-relative operand, a pointer in .data.rel.ro,
// an unwind entry's start), and how to read the address it means.
//
// The elf patch (elf_patch.h) finds them by pattern, not by disassembling:
// a pattern that takes data for code only costs compression, never
// correctness, because the patch rewrites a value only where both sides can
// make the same decision (see elf_patch.cpp). Free functions over bytes the
// caller keeps; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "upkeep/delta/elf_layout.h"

namespace upkeep::delta {

struct ElfReference {
  enum class Base {
    kNextInstruction,  // rel32 of a branch or RIP-relative operand: from the next instruction
    kZero,             // an absolute 8-byte address
  };
  uint8_t value_at = 0;  // the value's offset from the reference's start
  uint8_t width = 4;     // 4 (signed) or 8
  uint8_t length = 4;    // bytes from the start to the next scan position
  Base base = Base::kZero;
  bool to_code = false;  // a call or a jump: its target must be code

  // The address the value is relative to, for a reference that starts at address `addr`.
  uint64_t base_address(uint64_t addr) const;
  // The value at `p` (the reference's start), sign-extended when 4 bytes wide.
  uint64_t read(const unsigned char* p) const;
  void write(unsigned char* p, uint64_t value) const;
};

// Whether the bytes at `p` can start a code reference at all: a rel32 branch
// opcode, or a RIP-relative ModRM (mod 00, r/m 101) in the next four bytes.
// Most places cannot; reference_shape() and the elf patch's scan pass them
// without a closer look.
inline bool may_start_code_reference(const unsigned char* p, uint64_t avail) {
  if (avail < 5) return false;  // every code reference is at least 5 bytes
  if (p[0] == 0xE8 || p[0] == 0xE9 || (p[0] == 0x0F && (p[1] & 0xF0) == 0x80)) return true;
  return ((p[1] & 0xC7) == 0x05) | ((p[2] & 0xC7) == 0x05) | ((p[3] & 0xC7) == 0x05) | ((p[4] & 0xC7) == 0x05);
}

// The places of a buffer where may_start_code_reference() may hold, found 64
// at a time with bit masks, eight bytes a word, instead of a branch per byte
// (the client's pass over a library's code is mostly this test). A superset:
// a place with an 0F byte is a candidate whatever follows it. Reads
// d[0, size) only. One object per thread; cheapest when asked for rising places.
class CodeReferenceCandidates {
 public:
  static constexpr uint64_t kNone = ~uint64_t{0};
  CodeReferenceCandidates(const unsigned char* d, uint64_t size) : d_(d), size_(size) {}
  // The first candidate at or after `from`; kNone when there is none. Every
  // place where may_start_code_reference() holds is a candidate.
  uint64_t next(uint64_t from);

 private:
  uint64_t block_mask(uint64_t block) const;  // bit k: place block + k may start one
  const unsigned char* d_;
  uint64_t size_;
  uint64_t block_ = kNone, mask_ = 0;
};

// The reference that may start at `p` (whose address is `addr`) in a region
// of `kind`, judged by the bytes before its value only (the opcode and ModRM
// of an instruction, the alignment of a table slot); `avail` bytes remain in
// the region. nullopt when no pattern fits.
std::optional<ElfReference> reference_shape(RegionKind kind, const unsigned char* p, uint64_t avail, uint64_t addr);

// The target address of a reference found at file offset `offset` of
// `data`, when its value makes sense in `layout`: a branch into code, any
// other address inside the image. nullopt otherwise.
std::optional<uint64_t> reference_target(const ElfLayout& layout, const unsigned char* data, uint64_t offset,
                                         const ElfRegion& region, const ElfReference& ref);

}  // namespace upkeep::delta

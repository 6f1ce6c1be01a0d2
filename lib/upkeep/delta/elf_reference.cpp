#include "upkeep/delta/elf_reference.h"

#include <bit>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

// One-byte opcodes whose ModRM may name a RIP-relative operand and that take
// no immediate: the ALU forms (add, or, adc, sbb, and, sub, xor, cmp in both
// directions), test, xchg, mov, lea, movsxd.
bool rip_opcode(unsigned char op) {
  switch (op) {
    case 0x01:
    case 0x03:
    case 0x09:
    case 0x0B:
    case 0x11:
    case 0x13:
    case 0x19:
    case 0x1B:
    case 0x21:
    case 0x23:
    case 0x29:
    case 0x2B:
    case 0x31:
    case 0x33:
    case 0x39:
    case 0x3B:
    case 0x63:
    case 0x84:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8A:
    case 0x8B:
    case 0x8D:
      return true;
    default:
      return false;
  }
}

// Two-byte (0F xx) opcodes of the same kind: SSE moves and arithmetic, movzx, movsx.
bool rip_opcode_0f(unsigned char op) {
  switch (op) {
    case 0x10:
    case 0x11:
    case 0x12:
    case 0x13:
    case 0x16:
    case 0x17:
    case 0x28:
    case 0x29:
    case 0x2A:
    case 0x2E:
    case 0x2F:
    case 0x51:
    case 0x54:
    case 0x55:
    case 0x56:
    case 0x57:
    case 0x58:
    case 0x59:
    case 0x5A:
    case 0x5C:
    case 0x5D:
    case 0x5E:
    case 0x5F:
    case 0x6E:
    case 0x6F:
    case 0x7E:
    case 0x7F:
    case 0xB6:
    case 0xB7:
    case 0xBE:
    case 0xBF:
    case 0xD6:
    case 0xDB:
    case 0xEB:
    case 0xEF:
    case 0xFE:
      return true;
    default:
      return false;
  }
}

std::optional<ElfReference> code_shape(const unsigned char* p, uint64_t avail) {
  if (!may_start_code_reference(p, avail)) return std::nullopt;
  ElfReference r;
  r.base = ElfReference::Base::kNextInstruction;
  r.width = 4;
  if (avail >= 5 && (p[0] == 0xE8 || p[0] == 0xE9)) {  // call / jmp rel32
    r.value_at = 1;
    r.to_code = true;
  } else if (avail >= 6 && p[0] == 0x0F && (p[1] & 0xF0) == 0x80) {  // jcc rel32
    r.value_at = 2;
    r.to_code = true;
  } else {  // a RIP-relative operand: its ModRM is one of the next four bytes
    uint64_t i = 0;
    if (avail > i && (p[i] == 0x66 || p[i] == 0xF2 || p[i] == 0xF3)) ++i;
    if (avail > i && (p[i] & 0xF0) == 0x40) ++i;  // REX
    if (avail <= i + 1) return std::nullopt;
    bool ff = false;
    if (p[i] == 0x0F) {
      if (!rip_opcode_0f(p[i + 1])) return std::nullopt;
      i += 2;
    } else if (rip_opcode(p[i]) || p[i] == 0xFF) {
      ff = p[i] == 0xFF;
      ++i;
    } else {
      return std::nullopt;
    }
    if (avail <= i) return std::nullopt;
    const unsigned char modrm = p[i];
    if ((modrm & 0xC7) != 0x05) return std::nullopt;  // mod 00, r/m 101: [rip + disp32]
    const int reg = (modrm >> 3) & 7;
    if (ff && reg != 2 && reg != 4 && reg != 6) return std::nullopt;  // call, jmp, push [rip + x]
    r.value_at = static_cast<uint8_t>(i + 1);
  }
  r.length = static_cast<uint8_t>(r.value_at + 4);
  if (r.length > avail) return std::nullopt;
  return r;
}

}  // namespace

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ull;

// Bit k set when byte k of `w` is zero (exact: no carry between bytes).
unsigned zero_bytes(uint64_t w) {
  const uint64_t high = ~(((w & (0x7F * kOnes)) + 0x7F * kOnes) | w) & (0x80 * kOnes);
  return static_cast<unsigned>(((high >> 7) * 0x0102040810204080ull) >> 56);  // byte k's flag to bit k
}

}  // namespace

uint64_t CodeReferenceCandidates::block_mask(uint64_t block) const {
  uint64_t mask = 0;
  if (block + 72 > size_) {  // the last places: the test itself, which needs 5 bytes
    for (uint64_t k = 0; k < 64 && block + k < size_; ++k)
      if (may_start_code_reference(d_ + block + k, size_ - block - k)) mask |= uint64_t{1} << k;
    return mask;
  }
  // Eight bytes at a time over bytes block .. block + 71: a branch opcode
  // (E8, E9, or 0F, a superset: reference_shape() looks closer) at place k,
  // or a RIP-relative ModRM (mod 00, r/m 101) at k + 1 .. k + 4.
  uint64_t op = 0, modrm = 0, modrm_high = 0;
  for (int i = 0; i < 9; ++i) {
    const uint64_t w = get_le(d_ + block + 8 * i, 8);  // byte k of the word is the k-th byte
    const uint64_t rm = zero_bytes((w & (0xC7 * kOnes)) ^ (0x05 * kOnes));
    if (i == 8) {
      modrm_high = rm;
      break;
    }
    modrm |= rm << (8 * i);
    op |= uint64_t(zero_bytes((w & (0xFE * kOnes)) ^ (0xE8 * kOnes)) | zero_bytes(w ^ (0x0F * kOnes))) << (8 * i);
  }
  mask = op;
  for (int j = 1; j <= 4; ++j) mask |= (modrm >> j) | (modrm_high << (64 - j));
  return mask;
}

uint64_t CodeReferenceCandidates::next(uint64_t from) {
  while (from < size_) {
    const uint64_t block = from & ~uint64_t{63};
    if (block != block_) {
      block_ = block;
      mask_ = block_mask(block);
    }
    const uint64_t m = mask_ & (~uint64_t{0} << (from - block));
    if (m) return block + static_cast<uint64_t>(std::countr_zero(m));
    from = block + 64;
  }
  return kNone;
}

uint64_t ElfReference::base_address(uint64_t addr) const {
  switch (base) {
    case Base::kNextInstruction:
      return addr + length;
    case Base::kZero:
      return 0;
  }
  return 0;
}

uint64_t ElfReference::read(const unsigned char* p) const {
  return width == 8 ? get_le(p + value_at, 8) : get_le_s32(p + value_at);
}

void ElfReference::write(unsigned char* p, uint64_t value) const { set_le(p + value_at, value, width); }

std::optional<ElfReference> reference_shape(RegionKind kind, const unsigned char* p, uint64_t avail, uint64_t addr) {
  if (kind == RegionKind::kCode) return code_shape(p, avail);
  if (kind != RegionKind::kPointers) return std::nullopt;  // tables: elf_tables.h predicts them whole
  ElfReference r;
  r.width = 8;
  r.length = 8;
  if (addr % r.width != 0 || avail < r.width) return std::nullopt;
  r.base = ElfReference::Base::kZero;
  return r;
}

std::optional<uint64_t> reference_target(const ElfLayout& layout, const unsigned char* data, uint64_t offset,
                                         const ElfRegion& region, const ElfReference& ref) {
  const uint64_t addr = region.addr + (offset - region.offset);
  const uint64_t target = ref.base_address(addr) + ref.read(data + offset);
  if (ref.to_code) {
    if (!layout.is_code(target)) return std::nullopt;
  } else if (target < layout.image_low() || target >= layout.image_high()) {
    return std::nullopt;
  }
  return target;
}

}  // namespace upkeep::delta

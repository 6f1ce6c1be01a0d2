#include "upkeep/delta/elf_reference.h"

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

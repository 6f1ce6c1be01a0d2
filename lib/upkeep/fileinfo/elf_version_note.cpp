#include "upkeep/fileinfo/elf_version_note.h"

#include "upkeep/base/error.h"
#include "upkeep/fileinfo/byte_view.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep::fileinfo {

namespace {

constexpr uint64_t kIdentSize = 16;
constexpr uint8_t kClass32 = 1, kClass64 = 2;
constexpr uint8_t kDataLittle = 1, kDataBig = 2;
constexpr uint16_t kExtendedIndex = 0xffff;  // SHN_XINDEX: the real index is in section 0
constexpr uint64_t kMaxSections = 1u << 20;

// Where the fields sit in the two classes.
struct Layout {
  bool is64;
  uint64_t word(const ByteView& v, uint64_t at, const std::string& what) const {
    return is64 ? v.u64(at, what) : v.u32(at, what);
  }
  uint64_t header_shoff() const { return is64 ? 0x28 : 0x20; }
  uint64_t header_shentsize() const { return is64 ? 0x3a : 0x2e; }
  uint64_t section_header_size() const { return is64 ? 64 : 40; }
  uint64_t sh_offset() const { return is64 ? 24 : 16; }
  uint64_t sh_size() const { return is64 ? 32 : 20; }
  uint64_t sh_addralign() const { return is64 ? 48 : 32; }
};

struct Section {
  uint32_t name = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint64_t align = 0;
};

struct SectionTable {
  uint64_t at = 0;
  uint64_t entry_size = 0;
  uint64_t count = 0;
  uint64_t names_index = 0;
};

Section section(const ByteView& v, const Layout& l, const SectionTable& t, uint64_t index) {
  const uint64_t at = t.at + index * t.entry_size;
  const std::string what = "section header " + std::to_string(index);
  Section s;
  s.name = v.u32(at, what);
  s.offset = l.word(v, at + l.sh_offset(), what);
  s.size = l.word(v, at + l.sh_size(), what);
  s.align = l.word(v, at + l.sh_addralign(), what);
  return s;
}

SectionTable section_table(const ByteView& v, const Layout& l) {
  SectionTable t;
  t.at = l.word(v, l.header_shoff(), "ELF header (e_shoff)");
  t.entry_size = v.u16(l.header_shentsize(), "ELF header (e_shentsize)");
  t.count = v.u16(l.header_shentsize() + 2, "ELF header (e_shnum)");
  t.names_index = v.u16(l.header_shentsize() + 4, "ELF header (e_shstrndx)");
  if (t.at == 0) return {};  // no section headers (a stripped-to-the-bone file): no note to find
  if (t.entry_size < l.section_header_size())
    v.refuse("section header size " + std::to_string(t.entry_size) + " (e_shentsize); expected at least " +
             std::to_string(l.section_header_size()));
  if (t.count == 0 || t.names_index == kExtendedIndex) {  // extended numbering: section 0 holds the real values
    const Section zero = section(v, l, t, 0);
    if (t.count == 0) t.count = zero.size;
    if (t.names_index == kExtendedIndex) t.names_index = v.u32(t.at + (l.is64 ? 40 : 24), "section header 0 (sh_link)");
  }
  if (t.count > kMaxSections)
    v.refuse("the file claims " + std::to_string(t.count) + " sections; expected at most " +
             std::to_string(kMaxSections));
  if (t.count == 0) return {};
  v.range(t.at, t.count * t.entry_size, "section header table of " + std::to_string(t.count) + " entries");
  if (t.names_index >= t.count)
    v.refuse("section name table index " + std::to_string(t.names_index) + " (e_shstrndx); expected below " +
             std::to_string(t.count));
  return t;
}

// The NUL-terminated name at `offset` of the section name table.
std::string_view section_name(const ByteView& v, std::string_view names, uint64_t offset) {
  if (offset >= names.size())
    v.refuse("section name offset " + std::to_string(offset) + " is past the section name table (" +
             std::to_string(names.size()) + " bytes); expected inside it");
  std::string_view rest = names.substr(offset);
  const size_t nul = rest.find('\0');
  if (nul == std::string_view::npos) v.refuse("a section name has no terminating NUL in the section name table");
  return rest.substr(0, nul);
}

// The version in the notes of a .note.upkeep.version section's bytes.
std::optional<std::string> version_in_notes(const ByteView& notes, uint64_t align) {
  const std::string where = std::string(ElfVersionNote::kSection) + " section";
  const uint64_t a = align == 8 ? 8 : 4;
  auto pad = [a](uint64_t n) { return (n + a - 1) / a * a; };
  for (uint64_t at = 0; at + 12 <= notes.size();) {
    const uint64_t name_size = notes.u32(at, where + " note header");
    const uint64_t desc_size = notes.u32(at + 4, where + " note header");
    const uint32_t type = notes.u32(at + 8, where + " note header");
    const std::string_view owner = notes.range(at + 12, name_size, where + " note owner");
    const uint64_t desc_at = at + 12 + pad(name_size);
    const std::string_view desc = notes.range(desc_at, desc_size, where + " note descriptor");
    at = desc_at + pad(desc_size);
    if (owner != std::string(ElfVersionNote::kOwner) + '\0' || type != ElfVersionNote::kType) continue;
    if (desc_size > ElfVersionNote::kMaxVersionBytes)
      notes.refuse(where + ": the version note's descriptor has " + std::to_string(desc_size) +
                   " bytes; expected a version string of at most " + std::to_string(ElfVersionNote::kMaxVersionBytes));
    std::string_view text = desc.substr(0, desc.find('\0'));
    return std::string(text);
  }
  notes.refuse(where + " holds no note of owner 'upkeep' and type 1; expected one whose descriptor is the version");
}

}  // namespace

std::optional<std::string> ElfVersionNote::parse(std::string_view bytes, const std::string& name) {
  const ByteView raw(bytes, name);
  if (bytes.size() > kMaxFileSize)
    raw.refuse(std::to_string(bytes.size()) + " bytes; expected an ELF file of at most 1 TiB");
  if (bytes.size() < kIdentSize || bytes.substr(0, 4) !=
                                       "\x7f"
                                       "ELF")
    raw.refuse("not an ELF file: expected it to start with 0x7f 'ELF'");
  const uint8_t cls = raw.u8(4, "ELF class"), data = raw.u8(5, "ELF data encoding");
  if (cls != kClass32 && cls != kClass64)
    raw.refuse("ELF class " + std::to_string(cls) + "; expected 1 (32-bit) or 2 (64-bit)");
  if (data != kDataLittle && data != kDataBig)
    raw.refuse("ELF data encoding " + std::to_string(data) + "; expected 1 (little-endian) or 2 (big-endian)");
  const ByteView v = raw.with_big_endian(data == kDataBig);
  const Layout l{cls == kClass64};
  const SectionTable t = section_table(v, l);
  if (t.count == 0) return std::nullopt;
  const Section names_section = section(v, l, t, t.names_index);
  const std::string_view names = v.range(names_section.offset, names_section.size, "section name table");
  for (uint64_t i = 1; i < t.count; ++i) {
    const Section s = section(v, l, t, i);
    if (section_name(v, names, s.name) != kSection) continue;
    const std::string_view notes = v.range(s.offset, s.size, std::string(kSection) + " section");
    return version_in_notes(v.sub(notes, "the " + std::string(kSection) + " section"), s.align);
  }
  return std::nullopt;
}

std::optional<std::string> ElfVersionNote::read(const std::filesystem::path& file) {
  const MappedFile map = MappedFile::open_read_only(file);
  return parse(std::string_view(reinterpret_cast<const char*>(map.data()), map.size()), file.string());
}

}  // namespace upkeep::fileinfo

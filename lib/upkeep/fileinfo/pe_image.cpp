#include "upkeep/fileinfo/pe_image.h"

#include <algorithm>

namespace upkeep::fileinfo {

namespace {

constexpr uint64_t kDosHeaderSize = 64;
constexpr uint64_t kPeOffsetField = 0x3c;  // e_lfanew
constexpr uint64_t kCoffHeaderSize = 20;
constexpr uint64_t kSectionHeaderSize = 40;
constexpr uint16_t kPe32Magic = 0x10b;
constexpr uint16_t kPe32PlusMagic = 0x20b;
constexpr uint32_t kResourceDirectoryIndex = 2;  // IMAGE_DIRECTORY_ENTRY_RESOURCE
constexpr uint32_t kHighBit = 0x80000000u;
constexpr uint64_t kResourceDirectorySize = 16;  // IMAGE_RESOURCE_DIRECTORY, its entries follow
constexpr uint64_t kResourceEntrySize = 8;
constexpr uint64_t kResourceDataEntrySize = 16;  // IMAGE_RESOURCE_DATA_ENTRY

}  // namespace

PeImage::PeImage(const ByteView& file) : file_(file) {
  if (file_.size() < kDosHeaderSize || file_.bytes().substr(0, 2) != "MZ")
    file_.refuse("not a PE file: expected an MS-DOS header starting with 'MZ' (64 bytes at least)");
  const uint32_t pe = file_.u32(kPeOffsetField, "PE header offset (e_lfanew)");
  if (file_.range(pe, 4, "PE signature") != std::string_view("PE\0\0", 4))
    file_.refuse("no PE signature at offset " + hex(pe) + " (e_lfanew); expected 'PE\\0\\0' (an MS-DOS program?)");
  const uint64_t coff = uint64_t{pe} + 4;
  const uint16_t section_count = file_.u16(coff + 2, "COFF header (NumberOfSections)");
  const uint16_t optional_size = file_.u16(coff + 16, "COFF header (SizeOfOptionalHeader)");
  const uint64_t optional = coff + kCoffHeaderSize;
  read_optional_header(optional, optional_size);
  read_sections(optional + optional_size, section_count);
}

void PeImage::read_optional_header(uint64_t offset, uint16_t size) {
  const uint16_t magic = file_.u16(offset, "optional header magic");
  if (magic != kPe32Magic && magic != kPe32PlusMagic)
    file_.refuse("optional header magic " + hex(magic) + " at offset " + hex(offset) +
                 "; expected 0x10b (PE32) or 0x20b (PE32+)");
  pe32_plus_ = magic == kPe32PlusMagic;
  // NumberOfRvaAndSizes, then the data directories (8 bytes each): their place differs by format.
  const uint64_t count_at = pe32_plus_ ? 108 : 92;
  const uint64_t dirs_at = count_at + 4;
  if (size < dirs_at) return;  // no data directories at all: no resources
  const uint32_t count = file_.u32(offset + count_at, "optional header (NumberOfRvaAndSizes)");
  const uint64_t resource_at = dirs_at + 8 * uint64_t{kResourceDirectoryIndex};
  if (count <= kResourceDirectoryIndex) return;
  if (resource_at + 8 > size)
    file_.refuse("optional header of " + std::to_string(size) + " bytes at offset " + hex(offset) + " claims " +
                 std::to_string(count) + " data directories; expected the resource directory (ends at byte " +
                 std::to_string(resource_at + 8) + ") inside it");
  resource_rva_ = file_.u32(offset + resource_at, "resource data directory");
  resource_size_ = file_.u32(offset + resource_at + 4, "resource data directory");
}

void PeImage::read_sections(uint64_t offset, uint16_t count) {
  file_.range(offset, uint64_t{count} * kSectionHeaderSize, "section table of " + std::to_string(count) + " sections");
  sections_.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = offset + i * kSectionHeaderSize;
    Section s;
    s.virtual_size = file_.u32(at + 8, "section header");
    s.virtual_address = file_.u32(at + 12, "section header");
    s.raw_size = file_.u32(at + 16, "section header");
    s.raw_offset = file_.u32(at + 20, "section header");
    sections_.push_back(s);
  }
}

std::optional<std::string_view> PeImage::at_rva(uint64_t rva) const {
  for (const Section& s : sections_) {
    if (rva < s.virtual_address || rva - s.virtual_address >= s.raw_size) continue;
    const uint64_t into = rva - s.virtual_address;
    return file_.range(uint64_t{s.raw_offset} + into, s.raw_size - into,
                       "section data at RVA " + hex(s.virtual_address) + " (raw offset " + hex(s.raw_offset) + ")");
  }
  return std::nullopt;
}

std::vector<PeImage::ResourceEntry> PeImage::directory(const ByteView& resources, uint32_t offset) const {
  const std::string where = "resource directory at offset " + hex(offset) + " of the resource section";
  const uint64_t named = resources.u16(uint64_t{offset} + 12, where + " (NumberOfNamedEntries)");
  const uint64_t ids = resources.u16(uint64_t{offset} + 14, where + " (NumberOfIdEntries)");
  const uint64_t total = named + ids;
  const uint64_t first = uint64_t{offset} + kResourceDirectorySize;
  if (total > kMaxResourceEntries)
    resources.refuse(where + " claims " + std::to_string(total) + " entries (" + std::to_string(named) + " named, " +
                     std::to_string(ids) + " by id); expected at most " + std::to_string(kMaxResourceEntries));
  if (first + total * kResourceEntrySize > resources.size())
    resources.refuse(where + " claims " + std::to_string(total) + " entries (" +
                     std::to_string(total * kResourceEntrySize) + " bytes) but the resource section ends " +
                     std::to_string(resources.size() - std::min(first, resources.size())) +
                     " bytes after its header; expected its entries inside the section");
  std::vector<ResourceEntry> entries(total);
  for (uint64_t i = 0; i < total; ++i) {
    entries[i].name = resources.u32(first + i * kResourceEntrySize, where + " entry");
    entries[i].target = resources.u32(first + i * kResourceEntrySize + 4, where + " entry");
  }
  return entries;
}

uint32_t PeImage::subdirectory(const ByteView& resources, const ResourceEntry& e, const std::vector<uint32_t>& path,
                               std::string_view level) const {
  const uint32_t offset = e.target & ~kHighBit;
  const std::string parent = "resource directory at offset " + hex(path.back());
  if ((e.target & kHighBit) == 0)
    resources.refuse("the " + std::string(level) + " entry of the " + parent +
                     " points to a data entry; expected a subdirectory (type, name, language)");
  if (std::find(path.begin(), path.end(), offset) != path.end())
    resources.refuse("the " + std::string(level) + " entry of the " + parent + " loops back to " +
                     (offset == path.back() ? std::string("itself") : "the directory at offset " + hex(offset)) +
                     "; expected a tree");
  return offset;
}

std::optional<std::string_view> PeImage::find_resource(uint16_t type_id) const {
  if (resource_rva_ == 0) return std::nullopt;
  const auto section = at_rva(resource_rva_);
  if (!section)
    file_.refuse("the resource directory at RVA " + hex(resource_rva_) +
                 " lies in no section's data; expected it inside a section");
  const ByteView resources = file_.sub(*section, "the resource section");
  std::vector<uint32_t> path{0};
  const auto types = directory(resources, 0);
  auto type = std::find_if(types.begin(), types.end(), [&](const ResourceEntry& e) { return e.name == type_id; });
  if (type == types.end()) return std::nullopt;
  path.push_back(subdirectory(resources, *type, path, "type"));
  const auto names = directory(resources, path.back());
  if (names.empty()) return std::nullopt;
  path.push_back(subdirectory(resources, names.front(), path, "name"));
  const auto languages = directory(resources, path.back());
  if (languages.empty()) return std::nullopt;
  const ResourceEntry& language = languages.front();
  if (language.target & kHighBit)
    resources.refuse("the language entry of the resource directory at offset " + hex(path.back()) +
                     " points to a subdirectory; expected a data entry");
  const uint32_t rva = resources.u32(language.target, "resource data entry");
  const uint32_t size = resources.u32(uint64_t{language.target} + 4, "resource data entry");
  resources.range(language.target, kResourceDataEntrySize, "resource data entry");
  const auto data = at_rva(rva);
  if (!data)
    file_.refuse("resource data at RVA " + hex(rva) + " (" + std::to_string(size) +
                 " bytes) lies in no section's data; expected it inside a section");
  return file_.sub(*data, "the section holding RVA " + hex(rva)).range(0, size, "resource data");
}

}  // namespace upkeep::fileinfo

#include "upkeep/fileinfo/pe_version_info.h"

#include "upkeep/base/error.h"
#include "upkeep/base/utf8.h"
#include "upkeep/fileinfo/byte_view.h"
#include "upkeep/fileinfo/pe_image.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep::fileinfo {

namespace {

constexpr uint64_t kBlockHeaderSize = 6;  // wLength, wValueLength, wType
constexpr uint16_t kTextType = 1;         // wType: the value is UTF-16 text, wValueLength counts characters
constexpr uint32_t kFixedSignature = 0xfeef04bd;
constexpr uint64_t kFixedInfoSize = 52;  // VS_FIXEDFILEINFO

uint64_t align4(uint64_t offset) { return (offset + 3) & ~uint64_t{3}; }

struct Text {
  std::string utf8;
  uint64_t end = 0;  // after the terminating NUL (or `end` when there is none)
  bool terminated = false;
};

// UTF-16LE text from `offset` up to a NUL or `end`, as UTF-8; an unpaired surrogate is refused.
Text utf16_text(const ByteView& v, uint64_t offset, uint64_t end, const std::string& what) {
  Text t;
  uint64_t at = offset;
  while (at + 2 <= end) {
    uint32_t unit = v.u16(at, what);
    at += 2;
    if (unit == 0) {
      t.terminated = true;
      break;
    }
    if (unit >= 0xd800 && unit <= 0xdbff && at + 2 <= end) {
      const uint32_t low = v.u16(at, what);
      if (low >= 0xdc00 && low <= 0xdfff) {
        at += 2;
        append_utf8(t.utf8, 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00));
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff)
      v.refuse(what + " at offset " + hex(at - 2) + " holds an unpaired UTF-16 surrogate " + hex(unit) +
               "; expected UTF-16 text");
    append_utf8(t.utf8, unit);
  }
  t.end = at;
  return t;
}

// One block of the VS_VERSIONINFO tree (VS_VERSIONINFO, StringFileInfo, StringTable, String, Var...).
struct Block {
  uint64_t offset = 0;
  uint64_t end = 0;  // offset + wLength
  uint16_t value_length = 0;
  uint16_t type = 0;
  std::string key;
  uint64_t value_at = 0;
  uint64_t value_end = 0;  // at most `end`
  uint64_t children_at = 0;
};

Block read_block(const ByteView& v, uint64_t offset, uint64_t parent_end, const std::string& what) {
  const std::string where = what + " block at offset " + hex(offset) + " of the version resource";
  Block b;
  b.offset = offset;
  const uint16_t length = v.u16(offset, where);
  if (length < kBlockHeaderSize)
    v.refuse(where + " has length " + std::to_string(length) + "; expected at least 6 (its header)");
  if (length % 2 != 0)
    v.refuse(where + " has odd length " + std::to_string(length) + "; expected whole UTF-16 characters");
  b.end = offset + length;
  if (b.end > parent_end)
    v.refuse(where + " claims " + std::to_string(length) + " bytes, ending at " + hex(b.end) +
             ", past the end of what holds it (" + hex(parent_end) + "); expected it inside");
  b.value_length = v.u16(offset + 2, where);
  b.type = v.u16(offset + 4, where);
  Text key = utf16_text(v, offset + kBlockHeaderSize, b.end, where + " key");
  if (!key.terminated) v.refuse(where + " has a key with no terminating NUL; expected one inside the block");
  b.key = std::move(key.utf8);
  b.value_at = std::min(align4(key.end), b.end);
  const uint64_t value_bytes = b.type == kTextType ? 2 * uint64_t{b.value_length} : b.value_length;
  // Some tools count a text value in bytes, not characters: cut it at the block's end.
  b.value_end = std::min(b.value_at + value_bytes, b.end);
  b.children_at = std::min(align4(b.value_at + value_bytes), b.end);
  return b;
}

// Calls fn(child) for each child block of `parent`; a zero length (padding) ends the list.
template <class Fn>
void for_each_child(const ByteView& v, const Block& parent, const std::string& what, Fn&& fn) {
  uint64_t at = parent.children_at;
  while (at + kBlockHeaderSize <= parent.end) {
    if (v.u16(at, what) == 0) break;
    Block child = read_block(v, at, parent.end, what);
    at = align4(child.end);
    fn(child);
  }
}

std::string four_part(uint32_t ms, uint32_t ls) {
  return std::to_string(ms >> 16) + "." + std::to_string(ms & 0xffff) + "." + std::to_string(ls >> 16) + "." +
         std::to_string(ls & 0xffff);
}

void read_fixed_info(const ByteView& v, const Block& root, PeVersionInfo& info) {
  if (root.value_length == 0) return;
  const std::string where = "VS_FIXEDFILEINFO at offset " + hex(root.value_at);
  if (root.value_length < kFixedInfoSize || root.value_end - root.value_at < kFixedInfoSize)
    v.refuse(where + " has " + std::to_string(root.value_end - root.value_at) + " bytes; expected " +
             std::to_string(kFixedInfoSize));
  const uint32_t signature = v.u32(root.value_at, where);
  if (signature != kFixedSignature) v.refuse(where + " has signature " + hex(signature) + "; expected 0xfeef04bd");
  info.file_version = four_part(v.u32(root.value_at + 8, where), v.u32(root.value_at + 12, where));
  info.product_version = four_part(v.u32(root.value_at + 16, where), v.u32(root.value_at + 20, where));
}

// The strings of the first table of a StringFileInfo block.
void read_string_table(const ByteView& v, const Block& string_file_info, PeVersionInfo& info) {
  for_each_child(v, string_file_info, "StringTable", [&](const Block& table) {
    if (!info.string_table.empty()) return;  // the first table only
    info.string_table = table.key.empty() ? "-" : table.key;
    for_each_child(v, table, "String", [&](const Block& s) {
      Text value = utf16_text(v, s.value_at, s.value_end, "String '" + s.key + "' value");
      info.strings.emplace(s.key, std::move(value.utf8));
    });
  });
}

}  // namespace

PeVersionInfo PeVersionInfo::parse_block(std::string_view block, const std::string& name) {
  const ByteView v(block, name, false, "the version resource");
  const Block root = read_block(v, 0, v.size(), "VS_VERSIONINFO");
  if (root.key != "VS_VERSION_INFO")
    v.refuse("the version resource's key is '" + root.key + "'; expected 'VS_VERSION_INFO'");
  PeVersionInfo info;
  read_fixed_info(v, root, info);
  for_each_child(v, root, "StringFileInfo", [&](const Block& child) {
    if (child.key == "StringFileInfo") read_string_table(v, child, info);
  });
  return info;
}

PeVersionInfo PeVersionInfo::parse(std::string_view bytes, const std::string& name) {
  if (bytes.size() > kMaxFileSize)
    fail(ErrorCode::kBadInput,
         name + ": " + std::to_string(bytes.size()) + " bytes; expected a PE file of at most 4 GiB");
  const PeImage image(ByteView(bytes, name));
  const auto block = image.find_resource(PeImage::kRtVersion);
  if (!block) fail(ErrorCode::kNotFound, name + ": no VERSIONINFO resource (no RT_VERSION entry in the PE file)");
  return parse_block(*block, name);
}

PeVersionInfo PeVersionInfo::read(const std::filesystem::path& file) {
  const MappedFile map = MappedFile::open_read_only(file);
  return parse(std::string_view(reinterpret_cast<const char*>(map.data()), map.size()), file.string());
}

std::optional<std::string> PeVersionInfo::string(const std::string& key) const {
  auto it = strings.find(key);
  if (it == strings.end()) return std::nullopt;
  return it->second;
}

}  // namespace upkeep::fileinfo

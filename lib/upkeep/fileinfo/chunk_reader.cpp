#include "upkeep/fileinfo/chunk_reader.h"

#include <cstdio>

#include "upkeep/base/error.h"

namespace upkeep::fileinfo {

std::string chunk_name(uint16_t type) {
  const char* name = "unknown chunk";
  switch (type) {
    case kStringPoolChunk:
      name = "RES_STRING_POOL_TYPE";
      break;
    case kTableChunk:
      name = "RES_TABLE_TYPE";
      break;
    case kXmlChunk:
      name = "RES_XML_TYPE";
      break;
    case kXmlStartNamespace:
      name = "RES_XML_START_NAMESPACE_TYPE";
      break;
    case kXmlEndNamespace:
      name = "RES_XML_END_NAMESPACE_TYPE";
      break;
    case kXmlStartElement:
      name = "RES_XML_START_ELEMENT_TYPE";
      break;
    case kXmlEndElement:
      name = "RES_XML_END_ELEMENT_TYPE";
      break;
    case kXmlCdata:
      name = "RES_XML_CDATA_TYPE";
      break;
    case kXmlResourceMap:
      name = "RES_XML_RESOURCE_MAP_TYPE";
      break;
    case kTablePackageChunk:
      name = "RES_TABLE_PACKAGE_TYPE";
      break;
    case kTableTypeChunk:
      name = "RES_TABLE_TYPE_TYPE";
      break;
    case kTableTypeSpecChunk:
      name = "RES_TABLE_TYPE_SPEC_TYPE";
      break;
    default:
      break;
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, " (0x%04x)", type);
  return name + std::string(buf);
}

void ChunkReader::bad(size_t at, std::string_view what, const std::string& why) const {
  fail(ErrorCode::kBadInput, std::string(source_) + ": " + std::string(what) + " at offset " + hex(at) + ": " + why);
}

uint8_t ChunkReader::u8(size_t at) const {
  if (at >= bytes_.size()) bad(at, "a byte", "past the end of the " + std::to_string(bytes_.size()) + " bytes");
  return static_cast<uint8_t>(bytes_[at]);
}

uint16_t ChunkReader::u16(size_t at) const {
  if (at > bytes_.size() || bytes_.size() - at < 2)
    bad(at, "a 16-bit field", "past the end of the " + std::to_string(bytes_.size()) + " bytes");
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes_[at]) | static_cast<uint8_t>(bytes_[at + 1]) << 8);
}

uint32_t ChunkReader::u32(size_t at) const {
  if (at > bytes_.size() || bytes_.size() - at < 4)
    bad(at, "a 32-bit field", "past the end of the " + std::to_string(bytes_.size()) + " bytes");
  uint32_t v = 0;
  for (size_t i = 4; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(bytes_[at + i]);
  return v;
}

std::string_view ChunkReader::slice(size_t at, size_t n, size_t end, std::string_view what) const {
  if (end > bytes_.size()) end = bytes_.size();
  if (at > end || end - at < n)
    bad(at, what, std::to_string(n) + " bytes would end past " + hex(end) + "; expected them within their chunk");
  return bytes_.substr(at, n);
}

Chunk ChunkReader::chunk(size_t at, size_t parent_end, std::string_view what, size_t min_header) const {
  if (parent_end > bytes_.size()) parent_end = bytes_.size();
  if (at > parent_end || parent_end - at < 8)
    bad(at, what,
        "a chunk header needs 8 bytes, only " + std::to_string(at > parent_end ? 0 : parent_end - at) +
            " are left in its parent (truncated?)");
  Chunk c;
  c.offset = at;
  c.type = u16(at);
  c.header_size = u16(at + 2);
  c.size = u32(at + 4);
  const std::string name = std::string(what) + " " + chunk_name(c.type);
  if (c.header_size < min_header)
    bad(at, name, "header size " + std::to_string(c.header_size) + "; expected at least " + std::to_string(min_header));
  if (c.size < c.header_size)
    bad(at, name,
        "chunk size " + std::to_string(c.size) + " is smaller than its header (" + std::to_string(c.header_size) +
            "); expected a size that covers the header");
  if (c.size > parent_end - at)
    bad(at, name,
        "chunk size " + std::to_string(c.size) + " goes past its parent's end at " + hex(parent_end) +
            "; expected the chunk to lie within its parent (truncated?)");
  return c;
}

}  // namespace upkeep::fileinfo

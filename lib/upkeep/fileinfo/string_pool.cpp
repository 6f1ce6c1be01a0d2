#include "upkeep/fileinfo/string_pool.h"

#include "upkeep/base/error.h"
#include "upkeep/base/utf8.h"

namespace upkeep::fileinfo {

namespace {

constexpr uint32_t kUtf8Flag = 0x100;
constexpr size_t kPoolHeader = 28;  // ResStringPool_header

std::string utf16_to_utf8(const ChunkReader& r, size_t at, size_t units) {
  std::string out;
  out.reserve(units);
  for (size_t i = 0; i < units; ++i) {
    uint32_t u = r.u16(at + 2 * i);
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < units) {
      uint32_t low = r.u16(at + 2 * (i + 1));
      if (low >= 0xdc00 && low < 0xe000) {
        append_utf8(out, 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00));
        ++i;
        continue;
      }
    }
    append_utf8(out, u >= 0xd800 && u < 0xe000 ? 0xfffd : u);
  }
  return out;
}

}  // namespace

StringPool StringPool::parse(const ChunkReader& r, const Chunk& c) {
  const std::string what = "string pool";
  if (c.type != kStringPoolChunk) r.bad(c.offset, what, "found " + chunk_name(c.type) + "; expected a string pool");
  if (c.header_size < kPoolHeader)
    r.bad(c.offset, what, "header size " + std::to_string(c.header_size) + "; expected at least 28");
  StringPool p;
  p.file_ = std::string(r.source());
  p.source_ = p.file_ + ": string pool at offset " + hex(c.offset) + " (offsets below are within the pool)";
  p.chunk_offset_ = c.offset;
  p.bytes_ = std::string(r.slice(c.offset, c.size, c.end(), what));
  const ChunkReader own(p.bytes_, p.source_);
  p.count_ = own.u32(8);
  const uint32_t styles = own.u32(12), flags = own.u32(16), strings_start = own.u32(20), styles_start = own.u32(24);
  p.utf8_ = (flags & kUtf8Flag) != 0;
  // Each string and style needs a 4-byte offset within the chunk: refuse a count the chunk cannot hold.
  const uint64_t room = (c.size - c.header_size) / 4;
  if (p.count_ > room || styles > room - p.count_) {
    r.bad(c.offset, what,
          "claims " + std::to_string(p.count_) + " strings and " + std::to_string(styles) + " styles, but its " +
              std::to_string(c.size) + "-byte chunk holds at most " + std::to_string(room) + " offsets");
  }
  const uint64_t offsets_end = uint64_t{c.header_size} + 4ull * (p.count_ + uint64_t{styles});
  if (p.count_ > 0 && (strings_start < offsets_end || strings_start > c.size))
    r.bad(c.offset, what,
          "strings start at " + std::to_string(strings_start) + "; expected after the offsets table (" +
              std::to_string(offsets_end) + ") and within the chunk (" + std::to_string(c.size) + " bytes)");
  p.offsets_at_ = c.header_size;
  p.strings_start_ = strings_start;
  p.strings_end_ = c.size;
  if (styles > 0 && styles_start > strings_start && styles_start <= c.size) p.strings_end_ = styles_start;
  return p;
}

std::string StringPool::at(uint32_t index, std::string_view what) const {
  const ChunkReader r(bytes_, source_);
  if (index >= count_) {
    fail(ErrorCode::kBadInput, file_ + ": " + std::string(what) + " refers to string " + std::to_string(index) +
                                   " of the string pool at offset " + hex(chunk_offset_) + ", which holds only " +
                                   std::to_string(count_) + " strings");
  }
  const size_t at = strings_start_ + size_t{r.u32(offsets_at_ + 4 * size_t{index})};
  if (at < strings_start_ || at >= strings_end_)
    r.bad(at, "string " + std::to_string(index), "starts outside the pool's strings; expected it within them");
  if (utf8_) {
    // Two lengths: in UTF-16 units (skipped), then in bytes; each one or two bytes.
    size_t p = at;
    auto length = [&] {
      size_t n = r.u8(p++);
      if (n & 0x80) n = (n & 0x7f) << 8 | r.u8(p++);
      return n;
    };
    length();
    const size_t bytes = length();
    return std::string(r.slice(p, bytes, strings_end_, "string " + std::to_string(index) + " of the pool"));
  }
  size_t units = r.u16(at), p = at + 2;
  if (units & 0x8000) units = (units & 0x7fff) << 16 | r.u16(p), p += 2;
  r.slice(p, 2 * units, strings_end_, "string " + std::to_string(index) + " of the pool");
  return utf16_to_utf8(r, p, units);
}

}  // namespace upkeep::fileinfo

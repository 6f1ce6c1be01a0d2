// ChunkReader: bounds-checked reads of Android's chunked binary formats (the
// binary XML of AndroidManifest.xml and the resource table resources.arsc,
// androidfw's ResourceTypes.h), which come from an APK we do not trust.
//
// Every read checks its offset against the bytes; a chunk header is accepted
// only when its header fits, its size covers its header and it ends within
// its parent, so a walk over sibling chunks always moves forward and never
// leaves its parent. Each refusal is Error(kBadInput) naming the source file,
// the offset, what was wrong and what was expected. A reader is a view: the
// bytes must outlive it. Immutable after construction, so any thread may use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "upkeep/fileinfo/byte_view.h"  // hex()

namespace upkeep::fileinfo {

// Chunk types (ResourceTypes.h, ResChunk_header::type).
enum ChunkType : uint16_t {
  kStringPoolChunk = 0x0001,
  kTableChunk = 0x0002,
  kXmlChunk = 0x0003,
  kXmlStartNamespace = 0x0100,
  kXmlEndNamespace = 0x0101,
  kXmlStartElement = 0x0102,
  kXmlEndElement = 0x0103,
  kXmlCdata = 0x0104,
  kXmlResourceMap = 0x0180,
  kTablePackageChunk = 0x0200,
  kTableTypeChunk = 0x0201,
  kTableTypeSpecChunk = 0x0202,
};

// The name of a chunk type for messages ("RES_XML_START_ELEMENT_TYPE (0x0102)").
std::string chunk_name(uint16_t type);

// One chunk header, where it lies: [offset, offset + size) of the whole bytes.
struct Chunk {
  uint16_t type = 0, header_size = 0;
  uint32_t size = 0;
  size_t offset = 0;
  size_t body() const { return offset + header_size; }
  size_t end() const { return offset + size; }
};

class ChunkReader {
 public:
  ChunkReader(std::string_view bytes, std::string_view source) : bytes_(bytes), source_(source) {}

  size_t size() const { return bytes_.size(); }
  std::string_view source() const { return source_; }

  uint8_t u8(size_t at) const;
  uint16_t u16(size_t at) const;
  uint32_t u32(size_t at) const;
  // The `n` bytes at `at`, which must lie within [at, end).
  std::string_view slice(size_t at, size_t n, size_t end, std::string_view what) const;

  // The chunk header at `at` inside a parent that ends at `parent_end`: its
  // header at least `min_header` bytes, its size at least its header, its end
  // within the parent. `what` names it in messages.
  Chunk chunk(size_t at, size_t parent_end, std::string_view what, size_t min_header = 8) const;

  // Calls fn(const Chunk&) for each chunk from `from` to parent.end(), in order.
  template <class Fn>
  void for_each_child(const Chunk& parent, size_t from, std::string_view what, Fn&& fn) const {
    for (size_t at = from; at < parent.end();) {
      const Chunk c = chunk(at, parent.end(), what);
      fn(c);
      at = c.end();  // c.size >= 8: always forward
    }
  }

  // Error(kBadInput): "<source>: <what> at offset 0x<at>: <why>".
  [[noreturn]] void bad(size_t at, std::string_view what, const std::string& why) const;

 private:
  std::string_view bytes_;
  std::string_view source_;
};

}  // namespace upkeep::fileinfo

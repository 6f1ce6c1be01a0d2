// StringPool: one RES_STRING_POOL_TYPE chunk of a binary XML file or a
// resource table, in either of its encodings (UTF-16, or UTF-8 when the
// UTF8_FLAG is set), read from bytes we do not trust.
//
// parse() checks the header, the string count against what the chunk can
// hold and the offsets table against the chunk; at() checks each string's
// offset and lengths before it decodes it (UTF-16 is returned as UTF-8,
// unpaired surrogates as U+FFFD). Failures are Error(kBadInput) naming the
// source, the offset and what was expected. The pool keeps its own copy of
// the chunk; immutable after parse(), so any thread may read it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "upkeep/fileinfo/chunk_reader.h"

namespace upkeep::fileinfo {

class StringPool {
 public:
  StringPool() = default;
  static StringPool parse(const ChunkReader& reader, const Chunk& chunk);

  uint32_t size() const { return count_; }
  bool utf8() const { return utf8_; }
  // String `index`; `what` names its user in messages ("attribute name").
  std::string at(uint32_t index, std::string_view what) const;

 private:
  std::string bytes_;   // the chunk
  std::string file_;    // for messages
  std::string source_;  // the file and the pool's offset, for messages about the pool's inside
  size_t chunk_offset_ = 0;
  uint32_t count_ = 0;
  size_t offsets_at_ = 0;
  size_t strings_start_ = 0, strings_end_ = 0;  // within bytes_
  bool utf8_ = false;
};

}  // namespace upkeep::fileinfo

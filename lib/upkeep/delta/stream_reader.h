// StreamReader: decodes one compressed stream stored in a byte range of a
// file, through small buffers (internal to delta/). The format is the
// subclass's: ZstdFrameReader (zstd_stream.h) for blobs and bsdiff streams,
// Bzip2StreamReader (bzip2_stream.h) for bsdiff streams.
//
// The input is never trusted: a stream that is corrupt, ends before its range
// does (trailing data) or whose range ends before the stream does (truncated)
// is Error(kVerification) with `label` (the file and stream) in the message.
// Memory is the input buffer plus the decoder's state, which each subclass
// bounds. One thread; the file must outlive the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "upkeep/delta/io.h"

namespace upkeep::delta {

class StreamReader {
 public:
  virtual ~StreamReader() = default;
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Decompresses up to n bytes; fewer only when the stream has ended.
  size_t read(void* data, size_t n);
  // True when the stream has ended and all of its output was read.
  bool at_end();
  uint64_t produced() const { return produced_; }  // bytes returned by read()
  const std::string& label() const { return label_; }

 protected:
  // `unit` is what the format calls one stream, for messages ("zstd frame").
  StreamReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label, std::string unit,
               size_t buffer_size);

  // Decodes compressed bytes from in[in_pos, in_size) into out[out_pos,
  // out_size), advancing both positions; true once the stream has ended.
  // Corrupt input throws Error(kVerification) naming label().
  virtual bool step(const char* in, size_t in_size, size_t& in_pos, char* out, size_t out_size, size_t& out_pos) = 0;

 private:
  size_t decode(char* out, size_t n);

  const InputFile& file_;
  uint64_t next_;  // file offset of the next compressed byte to load
  uint64_t end_;   // end of the range
  std::string label_, unit_;
  std::vector<char> in_;
  size_t in_pos_ = 0, in_size_ = 0;
  bool ended_ = false;
  bool has_peek_ = false;
  char peek_ = 0;
  uint64_t produced_ = 0;
};

}  // namespace upkeep::delta

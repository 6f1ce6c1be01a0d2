// ZstdFrameReader: decompresses one zstd frame stored in a byte range of a
// file, through small buffers (internal to shared/delta). Blobs are one such
// frame over the whole file; a bsdiff patch holds three.
//
// The input is never trusted: a frame that is corrupt, ends before its range
// does (trailing data) or whose range ends before the frame does (truncated)
// is Error(kVerification) with `label` (the file and stream) in the message.
// Decoding memory is bounded: windows above 2^27 bytes are refused.
// One thread; the file must outlive the reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "delta/io.h"

struct ZSTD_DCtx_s;

namespace upkeep::delta {

class ZstdFrameReader {
 public:
  ZstdFrameReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label);
  ~ZstdFrameReader();
  ZstdFrameReader(const ZstdFrameReader&) = delete;
  ZstdFrameReader& operator=(const ZstdFrameReader&) = delete;

  // Decompresses up to n bytes; fewer only when the frame has ended.
  size_t read(void* data, size_t n);
  // True when the frame has ended and all of its output was read.
  bool at_end();
  uint64_t produced() const { return produced_; }  // bytes returned by read()
  const std::string& label() const { return label_; }

 private:
  size_t decode(char* out, size_t n);

  const InputFile& file_;
  uint64_t next_;  // file offset of the next compressed byte to load
  uint64_t end_;   // end of the range
  std::string label_;
  ZSTD_DCtx_s* dctx_ = nullptr;
  std::vector<char> in_;
  size_t in_pos_ = 0, in_size_ = 0;
  bool ended_ = false;
  bool has_peek_ = false;
  char peek_ = 0;
  uint64_t produced_ = 0;
};

}  // namespace upkeep::delta

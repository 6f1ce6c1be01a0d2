// ZstdFrameReader: decodes one zstd frame stored in a byte range of a file
// (internal to delta/; the checks are StreamReader's). Blobs are one
// such frame over the whole file; a bsdiff patch holds up to three.
//
// Decoding memory is bounded by the window: a frame whose window is above
// 2^window_log_max bytes is refused (Error(kVerification)).
// One thread; the file must outlive the reader.
#pragma once

#include <cstdint>
#include <string>

#include "upkeep/delta/stream_reader.h"

struct ZSTD_DCtx_s;

namespace upkeep::delta {

// 128 MiB: more than any blob we write needs.
constexpr int kZstdWindowLogMax = 27;

class ZstdFrameReader final : public StreamReader {
 public:
  ZstdFrameReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label,
                  int window_log_max = kZstdWindowLogMax);
  ~ZstdFrameReader() override;

 private:
  bool step(const char* in, size_t in_size, size_t& in_pos, char* out, size_t out_size, size_t& out_pos) override;

  ZSTD_DCtx_s* dctx_ = nullptr;
};

}  // namespace upkeep::delta

#include "upkeep/delta/zstd_stream.h"

#include <zstd.h>

#include "upkeep/base/error.h"

namespace upkeep::delta {

ZstdFrameReader::ZstdFrameReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label,
                                 int window_log_max)
    : StreamReader(file, offset, length, std::move(label), "zstd frame", ZSTD_DStreamInSize()) {
  dctx_ = ZSTD_createDCtx();
  if (!dctx_) fail(ErrorCode::kFailure, this->label() + ": cannot allocate a zstd decoder");
  size_t r = ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, window_log_max);
  if (ZSTD_isError(r)) {
    ZSTD_freeDCtx(dctx_);  // the destructor does not run when the constructor throws
    fail(ErrorCode::kFailure, this->label() + ": zstd: " + ZSTD_getErrorName(r));
  }
}

ZstdFrameReader::~ZstdFrameReader() { ZSTD_freeDCtx(dctx_); }

bool ZstdFrameReader::step(const char* in, size_t in_size, size_t& in_pos, char* out, size_t out_size,
                           size_t& out_pos) {
  ZSTD_inBuffer ib{in, in_size, in_pos};
  ZSTD_outBuffer ob{out, out_size, out_pos};
  size_t r = ZSTD_decompressStream(dctx_, &ob, &ib);
  if (ZSTD_isError(r)) fail(ErrorCode::kVerification, label() + ": corrupt zstd data: " + ZSTD_getErrorName(r));
  in_pos = ib.pos;
  out_pos = ob.pos;
  return r == 0;
}

}  // namespace upkeep::delta

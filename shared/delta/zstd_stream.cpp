#include "delta/zstd_stream.h"

#include <zstd.h>

#include <algorithm>

#include "error.h"

namespace upkeep::delta {

namespace {
constexpr int kWindowLogMax = 27;  // 128 MiB: more than any frame we write needs
}

ZstdFrameReader::ZstdFrameReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label)
    : file_(file), next_(offset), end_(offset + length), label_(std::move(label)), in_(ZSTD_DStreamInSize()) {
  dctx_ = ZSTD_createDCtx();
  if (!dctx_) fail(ErrorCode::kFailure, label_ + ": cannot allocate a zstd decoder");
  size_t r = ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, kWindowLogMax);
  if (ZSTD_isError(r)) fail(ErrorCode::kFailure, label_ + ": zstd: " + ZSTD_getErrorName(r));
}

ZstdFrameReader::~ZstdFrameReader() { ZSTD_freeDCtx(dctx_); }

size_t ZstdFrameReader::read(void* data, size_t n) {
  char* out = static_cast<char*>(data);
  size_t got = 0;
  if (has_peek_ && n > 0) {
    out[got++] = peek_;
    has_peek_ = false;
  }
  got += decode(out + got, n - got);
  produced_ += got;
  return got;
}

bool ZstdFrameReader::at_end() {
  if (has_peek_) return false;
  if (decode(&peek_, 1) == 1) has_peek_ = true;
  return !has_peek_;
}

size_t ZstdFrameReader::decode(char* out, size_t n) {
  size_t got = 0;
  while (got < n && !ended_) {
    if (in_pos_ == in_size_ && next_ < end_) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(in_.size(), end_ - next_));
      in_size_ = file_.read_at(next_, in_.data(), want);
      in_pos_ = 0;
      if (in_size_ < want)
        fail(ErrorCode::kVerification, label_ + ": the file ends " + std::to_string(end_ - next_ - in_size_) +
                                           " bytes before the declared end of the stream");
      next_ += in_size_;
    }
    ZSTD_inBuffer in{in_.data(), in_size_, in_pos_};
    ZSTD_outBuffer ob{out + got, n - got, 0};
    size_t r = ZSTD_decompressStream(dctx_, &ob, &in);
    if (ZSTD_isError(r)) fail(ErrorCode::kVerification, label_ + ": corrupt zstd data: " + ZSTD_getErrorName(r));
    bool progress = ob.pos > 0 || in.pos > in_pos_;
    in_pos_ = in.pos;
    got += ob.pos;
    if (r == 0) {
      ended_ = true;
      if (in_pos_ < in_size_ || next_ < end_)
        fail(ErrorCode::kVerification, label_ + ": " + std::to_string(in_size_ - in_pos_ + (end_ - next_)) +
                                           " bytes of trailing data after the zstd frame, expected none");
    } else if (!progress && in_pos_ == in_size_ && next_ == end_) {
      fail(ErrorCode::kVerification, label_ + ": truncated: the zstd frame is incomplete at the end of the stream");
    }
  }
  return got;
}

}  // namespace upkeep::delta

#include "upkeep/delta/stream_reader.h"

#include <algorithm>

#include "upkeep/base/error.h"

namespace upkeep::delta {

StreamReader::StreamReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label, std::string unit,
                           size_t buffer_size)
    : file_(file),
      next_(offset),
      end_(offset + length),
      label_(std::move(label)),
      unit_(std::move(unit)),
      in_(buffer_size) {}

size_t StreamReader::read(void* data, size_t n) {
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

bool StreamReader::at_end() {
  if (has_peek_) return false;
  if (decode(&peek_, 1) == 1) has_peek_ = true;
  return !has_peek_;
}

size_t StreamReader::decode(char* out, size_t n) {
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
    size_t in_before = in_pos_, out_before = got;
    ended_ = step(in_.data(), in_size_, in_pos_, out, n, got);
    if (ended_) {
      if (in_pos_ < in_size_ || next_ < end_)
        fail(ErrorCode::kVerification, label_ + ": " + std::to_string(in_size_ - in_pos_ + (end_ - next_)) +
                                           " bytes of trailing data after the " + unit_ + ", expected none");
    } else if (got == out_before && in_pos_ == in_before && in_pos_ == in_size_ && next_ == end_) {
      fail(ErrorCode::kVerification, label_ + ": truncated: the " + unit_ + " is incomplete at the end of the stream");
    }
  }
  return got;
}

}  // namespace upkeep::delta

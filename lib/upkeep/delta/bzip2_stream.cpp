#include "upkeep/delta/bzip2_stream.h"

#include <bzlib.h>

#include <algorithm>

#include "upkeep/base/error.h"

namespace upkeep::delta {

namespace {

constexpr size_t kInputBuffer = 1 << 16;

std::string bz_error(int r) {
  switch (r) {
    case BZ_MEM_ERROR:
      return "out of memory";
    case BZ_DATA_ERROR:
      return "corrupt bzip2 data (a checksum or the block structure is wrong)";
    case BZ_DATA_ERROR_MAGIC:
      return "not bzip2 data (bad magic)";
    case BZ_PARAM_ERROR:
      return "bad parameter";
    default:
      return "libbz2 error " + std::to_string(r);
  }
}

}  // namespace

std::string bzip2_compress(std::string_view data, int block_size_100k, const std::string& what) {
  if (block_size_100k < 1 || block_size_100k > 9)
    fail(ErrorCode::kUsage, what + ": bzip2 block size " + std::to_string(block_size_100k) + " is outside 1-9");
  if (data.size() > kMaxBzip2Input)
    fail(ErrorCode::kUsage, what + ": " + std::to_string(data.size()) + " bytes are too many for one bzip2 call");
  // libbz2's documented bound: 1 % + 600 bytes over the input.
  std::string out(data.size() + data.size() / 100 + 600, '\0');
  auto out_len = static_cast<unsigned int>(out.size());
  int r = BZ2_bzBuffToBuffCompress(out.data(), &out_len, const_cast<char*>(data.data()),
                                   static_cast<unsigned int>(data.size()), block_size_100k, 0, 0);
  if (r != BZ_OK) fail(ErrorCode::kFailure, what + ": bzip2: " + bz_error(r));
  out.resize(out_len);
  return out;
}

struct Bzip2StreamReader::State {
  bz_stream strm{};
};

Bzip2StreamReader::Bzip2StreamReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label)
    : StreamReader(file, offset, length, std::move(label), "bzip2 stream", kInputBuffer),
      state_(std::make_unique<State>()) {
  // small = 0: the faster decoder; its memory is bounded by the block size (see the header).
  int r = BZ2_bzDecompressInit(&state_->strm, 0, 0);
  if (r != BZ_OK) fail(ErrorCode::kFailure, this->label() + ": bzip2: " + bz_error(r));
}

Bzip2StreamReader::~Bzip2StreamReader() { BZ2_bzDecompressEnd(&state_->strm); }

bool Bzip2StreamReader::step(const char* in, size_t in_size, size_t& in_pos, char* out, size_t out_size,
                             size_t& out_pos) {
  bz_stream& s = state_->strm;
  // Both buffers are at most a read() request or kInputBuffer, well within unsigned int.
  s.next_in = const_cast<char*>(in + in_pos);
  s.avail_in = static_cast<unsigned int>(in_size - in_pos);
  s.next_out = out + out_pos;
  s.avail_out = static_cast<unsigned int>(std::min<size_t>(out_size - out_pos, 1u << 30));
  int r = BZ2_bzDecompress(&s);
  in_pos = static_cast<size_t>(s.next_in - in);
  out_pos = static_cast<size_t>(s.next_out - out);
  if (r == BZ_STREAM_END) return true;
  if (r != BZ_OK)
    fail(r == BZ_MEM_ERROR ? ErrorCode::kFailure : ErrorCode::kVerification, label() + ": " + bz_error(r));
  return false;
}

}  // namespace upkeep::delta

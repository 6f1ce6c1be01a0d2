// bzip2 for the streams of a bsdiff patch (internal to delta/):
// one-shot compression of a buffer, and Bzip2StreamReader, which decodes one
// bzip2 stream stored in a byte range of a file (the checks are
// StreamReader's; libbz2's block and stream CRCs catch corrupt data).
//
// Decoding memory is bounded by the block size the stream's header names:
// about 100 kB + 400 kB per 100 kB of block size, so 3.7 MB at most (-9).
// One thread; the file must outlive the reader.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "upkeep/delta/stream_reader.h"

namespace upkeep::delta {

// The most bzip2_compress takes in one call (libbz2 counts in unsigned int).
constexpr uint64_t kMaxBzip2Input = uint64_t{1} << 31;

// Compresses `data` into one bzip2 stream with blocks of block_size_100k x
// 100 kB (1-9). Thread-safe. Error(kUsage) for a block size outside 1-9 or
// more than kMaxBzip2Input bytes; Error(kFailure) naming `what` if libbz2 fails.
std::string bzip2_compress(std::string_view data, int block_size_100k, const std::string& what);

class Bzip2StreamReader final : public StreamReader {
 public:
  Bzip2StreamReader(const InputFile& file, uint64_t offset, uint64_t length, std::string label);
  ~Bzip2StreamReader() override;

 private:
  struct State;
  bool step(const char* in, size_t in_size, size_t& in_pos, char* out, size_t out_size, size_t& out_pos) override;

  std::unique_ptr<State> state_;
};

}  // namespace upkeep::delta

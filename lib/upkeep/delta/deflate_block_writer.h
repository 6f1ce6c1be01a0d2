// The block half of GNU gzip's deflate (its trees.c), internal to
// gnu_deflate.cpp: it collects the matcher's literals and matches, says when
// gzip would end the block, and writes each block as gzip does (stored,
// fixed or dynamic Huffman codes; trees built and length-limited with
// gzip's tie-breaking), so that the bits are the same.
//
// One object per deflate stream, one thread. Output goes to `out` in chunks;
// finish() hands over the rest.
#pragma once

#include <cstdint>
#include <memory>

#include "upkeep/delta/gnu_deflate.h"

namespace upkeep::delta {

class DeflateBlockWriter {
 public:
  explicit DeflateBlockWriter(const DeflateOutput& out);
  ~DeflateBlockWriter();
  DeflateBlockWriter(const DeflateBlockWriter&) = delete;
  DeflateBlockWriter& operator=(const DeflateBlockWriter&) = delete;

  // gzip's ct_tally: records a literal `lc` (dist 0) or a match of length
  // lc + 3 at distance `dist`; true when the block should end here.
  // `strstart` and `block_start` feed gzip's early-end estimate.
  bool tally(unsigned dist, unsigned lc, unsigned strstart, long block_start, int level);
  // gzip's flush_block: writes the block; `stored` is its input, or nullptr
  // once that slid out of the window (then it is never stored).
  void flush(const unsigned char* stored, uint64_t stored_len, bool eof);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace upkeep::delta

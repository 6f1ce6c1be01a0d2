// gnu_deflate.h: GNU gzip's deflate (its deflate.c; trees.c is in
// deflate_block_writer.cpp) written again from
// the algorithm, for byte-exact recompression. Each choice that changes the
// output (window sliding, hash, lazy matching, when a block ends, how trees
// are built and their lengths limited, stored/static/dynamic block choice)
// follows gzip; the layout of the code does not need to.
#include "upkeep/delta/gnu_deflate.h"

#include <algorithm>
#include <array>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/deflate_block_writer.h"

namespace upkeep::delta {

namespace {

constexpr unsigned kWindow = 0x8000;  // WSIZE
constexpr unsigned kWindowMask = kWindow - 1;
constexpr unsigned kWindowSize = 2 * kWindow;
constexpr unsigned kHashBits = 15;
constexpr unsigned kHashSize = 1u << kHashBits;
constexpr unsigned kHashMask = kHashSize - 1;
constexpr unsigned kHashShift = (kHashBits + 3 - 1) / 3;
constexpr unsigned kMinMatch = 3;
constexpr unsigned kMaxMatch = 258;
constexpr unsigned kMinLookahead = kMaxMatch + kMinMatch + 1;
constexpr unsigned kMaxDist = kWindow - kMinLookahead;
constexpr unsigned kTooFar = 4096;

struct Config {
  unsigned good, lazy, nice, chain;
};
constexpr std::array<Config, 10> kConfig = {{{0, 0, 0, 0},
                                             {4, 4, 8, 4},
                                             {4, 5, 16, 8},
                                             {4, 6, 32, 32},
                                             {4, 4, 16, 16},
                                             {8, 16, 32, 32},
                                             {8, 16, 128, 128},
                                             {8, 32, 128, 256},
                                             {32, 128, 258, 1024},
                                             {32, 258, 258, 4096}}};

// deflate.c's part: the sliding window, hash chains and lazy matching.
class Matcher {
 public:
  Matcher(int level, const DeflateInput& in, DeflateBlockWriter& blocks)
      : cfg_(kConfig[level]), level_(level), in_(in), blocks_(blocks) {
    // Zeroed, as gzip's static window is; a little more than 2*WSIZE, since
    // gzip reads (and at the end clears) a couple of bytes past the data.
    window_.assign(kWindowSize + kMaxMatch + 8, 0);
    prev_.assign(kWindow, 0);
    head_.assign(kHashSize, 0);
  }

  void run() {
    lookahead_ = read(window_.data(), kWindowSize);
    if (lookahead_ == 0) {
      eofile_ = true;
      blocks_.flush(window_.data(), 0, true);
      return;
    }
    while (lookahead_ < kMinLookahead && !eofile_) fill_window();
    ins_h_ = 0;
    for (unsigned j = 0; j < kMinMatch - 1; ++j) update_hash(window_[j]);

    unsigned prev_length = 0, prev_match = 0, match_length = kMinMatch - 1;
    bool match_available = false;
    while (lookahead_ != 0) {
      const unsigned hash_head = insert_string(strstart_);
      prev_length = match_length;
      prev_match = match_start_;
      match_length = kMinMatch - 1;
      if (hash_head != 0 && prev_length < cfg_.lazy && strstart_ - hash_head <= kMaxDist &&
          strstart_ <= kWindowSize - kMinLookahead) {
        match_length = longest_match(hash_head, prev_length);
        if (match_length > lookahead_) match_length = lookahead_;
        if (match_length == kMinMatch && strstart_ - match_start_ > kTooFar) --match_length;
      }
      if (prev_length >= kMinMatch && match_length <= prev_length) {
        const bool flush =
            blocks_.tally(strstart_ - 1 - prev_match, prev_length - kMinMatch, strstart_, block_start_, level_);
        lookahead_ -= prev_length - 1;
        prev_length -= 2;
        do {
          ++strstart_;
          insert_string(strstart_);
        } while (--prev_length != 0);
        match_available = false;
        match_length = kMinMatch - 1;
        ++strstart_;
        if (flush) flush_block(false);
      } else if (match_available) {
        if (blocks_.tally(0, window_[strstart_ - 1], strstart_, block_start_, level_)) flush_block(false);
        ++strstart_;
        --lookahead_;
      } else {
        match_available = true;
        ++strstart_;
        --lookahead_;
      }
      while (lookahead_ < kMinLookahead && !eofile_) fill_window();
    }
    if (match_available) blocks_.tally(0, window_[strstart_ - 1], strstart_, block_start_, level_);
    flush_block(true);
  }

 private:
  size_t read(unsigned char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
      const size_t r = in_(buf + got, n - got);
      if (r == 0) break;
      got += r;
    }
    return got;
  }

  void update_hash(unsigned c) { ins_h_ = ((ins_h_ << kHashShift) ^ c) & kHashMask; }
  unsigned insert_string(unsigned s) {
    update_hash(window_[s + kMinMatch - 1]);
    const unsigned match_head = head_[ins_h_];
    prev_[s & kWindowMask] = static_cast<uint16_t>(match_head);
    head_[ins_h_] = static_cast<uint16_t>(s);
    return match_head;
  }

  unsigned longest_match(unsigned cur_match, unsigned prev_length) {
    unsigned chain_length = cfg_.chain;
    const unsigned char* scan = window_.data() + strstart_;
    unsigned best_len = prev_length;
    const unsigned limit = strstart_ > kMaxDist ? strstart_ - kMaxDist : 0;
    unsigned char scan_end1 = scan[best_len - 1], scan_end = scan[best_len];
    if (prev_length >= cfg_.good) chain_length >>= 2;
    do {
      const unsigned char* match = window_.data() + cur_match;
      if (match[best_len] != scan_end || match[best_len - 1] != scan_end1 || match[0] != scan[0] || match[1] != scan[1])
        continue;
      // The third byte is equal too: same hash, same first two bytes.
      unsigned len = kMinMatch;
      while (len < kMaxMatch && scan[len] == match[len]) ++len;
      if (len > best_len) {
        match_start_ = cur_match;
        best_len = len;
        if (len >= cfg_.nice) break;
        scan_end1 = scan[best_len - 1];
        scan_end = scan[best_len];
      }
    } while ((cur_match = prev_[cur_match & kWindowMask]) > limit && --chain_length != 0);
    return best_len;
  }

  void fill_window() {
    unsigned more = kWindowSize - lookahead_ - strstart_;
    if (strstart_ >= kWindow + kMaxDist) {
      std::copy(window_.begin() + kWindow, window_.begin() + kWindowSize, window_.begin());
      match_start_ -= kWindow;
      strstart_ -= kWindow;
      block_start_ -= static_cast<long>(kWindow);
      for (auto& h : head_) h = static_cast<uint16_t>(h >= kWindow ? h - kWindow : 0);
      for (auto& p : prev_) p = static_cast<uint16_t>(p >= kWindow ? p - kWindow : 0);
      more += kWindow;
    }
    if (eofile_) return;
    const size_t n = read(window_.data() + strstart_ + lookahead_, more);
    if (n == 0) {
      eofile_ = true;
      window_[strstart_ + lookahead_] = 0;
      window_[strstart_ + lookahead_ + 1] = 0;
    } else {
      lookahead_ += static_cast<unsigned>(n);
    }
  }

  void flush_block(bool eof) {
    const unsigned char* stored = block_start_ >= 0 ? window_.data() + block_start_ : nullptr;
    blocks_.flush(stored, static_cast<uint64_t>(static_cast<long>(strstart_) - block_start_), eof);
    block_start_ = strstart_;
  }

  Config cfg_;
  int level_;
  const DeflateInput& in_;
  DeflateBlockWriter& blocks_;
  std::vector<unsigned char> window_;
  std::vector<uint16_t> prev_, head_;
  unsigned ins_h_ = 0, strstart_ = 0, match_start_ = 0, lookahead_ = 0;
  long block_start_ = 0;
  bool eofile_ = false;
};

}  // namespace

void gnu_deflate(int level, const DeflateInput& in, const DeflateOutput& out) {
  if (level < 4 || level > 9) fail(ErrorCode::kUsage, "gnu_deflate: level " + std::to_string(level) + " is not 4-9");
  DeflateBlockWriter blocks(out);
  Matcher(level, in, blocks).run();
  blocks.finish();
}

}  // namespace upkeep::delta

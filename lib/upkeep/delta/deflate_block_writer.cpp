// deflate_block_writer.h: trees.c of GNU gzip written again from the
// algorithm (see gnu_deflate.cpp).
#include "upkeep/delta/deflate_block_writer.h"

#include <algorithm>
#include <array>
#include <vector>

namespace upkeep::delta {

namespace {

constexpr unsigned kLitBufSize = 0x8000;
constexpr int kLiterals = 256;
constexpr int kEndBlock = 256;
constexpr int kLengthCodes = 29;
constexpr int kLCodes = kLiterals + 1 + kLengthCodes;  // 286
constexpr int kDCodes = 30;
constexpr int kBlCodes = 19;
constexpr int kHeapSize = 2 * kLCodes + 1;
constexpr int kMaxBits = 15;
constexpr int kMaxBlBits = 7;
constexpr int kRep3_6 = 16, kRepz3_10 = 17, kRepz11_138 = 18;

constexpr std::array<int, kLengthCodes> kExtraLBits = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<int, kDCodes> kExtraDBits = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr std::array<int, kBlCodes> kExtraBlBits = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7};
constexpr std::array<int, kBlCodes> kBlOrder = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

unsigned reverse_bits(unsigned code, int len) {
  unsigned r = 0;
  for (int i = 0; i < len; ++i, code >>= 1) r = r << 1 | (code & 1);
  return r;
}

// The code tables of the deflate format, built once.
struct Tables {
  std::array<uint8_t, 256> length_code{};
  std::array<uint8_t, 512> dist_code{};
  std::array<int, kLengthCodes> base_length{};
  std::array<int, kDCodes> base_dist{};
  std::array<uint16_t, kLCodes + 2> static_lcode{}, static_llen{};
  std::array<uint16_t, kDCodes> static_dcode{}, static_dlen{};

  Tables() {
    int length = 0, code = 0;
    for (code = 0; code < kLengthCodes - 1; ++code) {
      base_length[code] = length;
      for (int n = 0; n < (1 << kExtraLBits[code]); ++n) length_code[length++] = static_cast<uint8_t>(code);
    }
    length_code[length - 1] = static_cast<uint8_t>(code);
    int dist = 0;
    for (code = 0; code < 16; ++code) {
      base_dist[code] = dist;
      for (int n = 0; n < (1 << kExtraDBits[code]); ++n) dist_code[dist++] = static_cast<uint8_t>(code);
    }
    dist >>= 7;
    for (; code < kDCodes; ++code) {
      base_dist[code] = dist << 7;
      for (int n = 0; n < (1 << (kExtraDBits[code] - 7)); ++n) dist_code[256 + dist++] = static_cast<uint8_t>(code);
    }
    std::array<int, kMaxBits + 1> count{};
    for (int n = 0; n <= 287; ++n) {
      const int len = n <= 143 ? 8 : n <= 255 ? 9 : n <= 279 ? 7 : 8;
      static_llen[n] = static_cast<uint16_t>(len);
      ++count[len];
    }
    std::array<unsigned, kMaxBits + 1> next{};
    unsigned c = 0;
    for (int bits = 1; bits <= kMaxBits; ++bits) next[bits] = c = (c + count[bits - 1]) << 1;
    for (int n = 0; n <= 287; ++n)
      static_lcode[n] = static_cast<uint16_t>(reverse_bits(next[static_llen[n]]++, static_llen[n]));
    for (int n = 0; n < kDCodes; ++n) {
      static_dlen[n] = 5;
      static_dcode[n] = static_cast<uint16_t>(reverse_bits(n, 5));
    }
  }
  int d_code(unsigned dist) const { return dist < 256 ? dist_code[dist] : dist_code[256 + (dist >> 7)]; }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

// One Huffman tree under construction: leaves, then internal nodes.
struct Tree {
  std::array<uint32_t, kHeapSize> freq{};
  std::array<uint16_t, kHeapSize> len{}, code{}, dad{};
  int elems = 0, max_length = 0, base = 0, max_code = 0;
  const int* extra = nullptr;
  const uint16_t* static_len = nullptr;  // the fixed tree's lengths, or none
};

// LSB-first bit writer with a byte buffer flushed to the output.
class BitWriter {
 public:
  explicit BitWriter(const DeflateOutput& out) : out_(out) {}
  void bits(unsigned value, int length) {
    acc_ |= static_cast<uint64_t>(value & ((1u << length) - 1)) << count_;
    count_ += length;
    while (count_ >= 8) {
      byte(static_cast<unsigned char>(acc_));
      acc_ >>= 8;
      count_ -= 8;
    }
  }
  void windup() {
    if (count_ > 0) byte(static_cast<unsigned char>(acc_));
    acc_ = 0;
    count_ = 0;
  }
  void byte(unsigned char b) {
    buf_.push_back(b);
    if (buf_.size() >= 1 << 16) flush();
  }
  void flush() {
    if (!buf_.empty()) out_(buf_.data(), buf_.size());
    buf_.clear();
  }

 private:
  const DeflateOutput& out_;
  uint64_t acc_ = 0;
  int count_ = 0;
  std::vector<unsigned char> buf_;
};

// trees.c's part: symbol buffer, frequencies, trees and block output.
class BlockWriter {
 public:
  explicit BlockWriter(const DeflateOutput& out) : bits_(out) {
    const Tables& t = tables();
    ltree_.elems = kLCodes, ltree_.max_length = kMaxBits, ltree_.base = kLiterals + 1;
    ltree_.extra = kExtraLBits.data(), ltree_.static_len = t.static_llen.data();
    dtree_.elems = kDCodes, dtree_.max_length = kMaxBits, dtree_.base = 0;
    dtree_.extra = kExtraDBits.data(), dtree_.static_len = t.static_dlen.data();
    bltree_.elems = kBlCodes, bltree_.max_length = kMaxBlBits, bltree_.base = 0;
    bltree_.extra = kExtraBlBits.data();
    init_block();
  }

  // ct_tally: records a literal (dist 0) or a match; true when the block
  // should end here.
  bool tally(unsigned dist, unsigned lc, unsigned strstart, long block_start, int level) {
    const Tables& t = tables();
    syms_.push_back({static_cast<uint16_t>(dist), static_cast<uint8_t>(lc)});
    ++last_lit_;
    if (dist == 0) {
      ++ltree_.freq[lc];
    } else {
      --dist;
      ++ltree_.freq[t.length_code[lc] + kLiterals + 1];
      ++dtree_.freq[t.d_code(dist)];
      ++last_dist_;
      syms_.back().dist = static_cast<uint16_t>(dist + 1);
    }
    if (level > 2 && (last_lit_ & 0xfff) == 0) {
      uint64_t out_length = static_cast<uint64_t>(last_lit_) * 8;
      const uint64_t in_length = static_cast<uint64_t>(static_cast<long>(strstart) - block_start);
      for (int d = 0; d < kDCodes; ++d) out_length += dtree_.freq[d] * (5ull + kExtraDBits[d]);
      out_length >>= 3;
      if (last_dist_ < last_lit_ / 2 && out_length < in_length / 2) return true;
    }
    return last_lit_ == kLitBufSize - 1 || last_dist_ == kLitBufSize;
  }

  // flush_block: `stored` is the block's input (nullptr when it slid out).
  void flush(const unsigned char* stored, uint64_t stored_len, bool eof) {
    build_tree(ltree_);
    build_tree(dtree_);
    const int max_blindex = build_bl_tree();
    uint64_t opt_lenb = (opt_len_ + 3 + 7) >> 3;
    const uint64_t static_lenb = (static_len_ + 3 + 7) >> 3;
    if (static_lenb <= opt_lenb) opt_lenb = static_lenb;
    if (stored_len + 4 <= opt_lenb && stored) {
      bits_.bits(0u << 1 | (eof ? 1 : 0), 3);
      bits_.windup();
      bits_.byte(static_cast<unsigned char>(stored_len));
      bits_.byte(static_cast<unsigned char>(stored_len >> 8));
      bits_.byte(static_cast<unsigned char>(~stored_len));
      bits_.byte(static_cast<unsigned char>(~stored_len >> 8));
      for (uint64_t i = 0; i < stored_len; ++i) bits_.byte(stored[i]);
    } else if (static_lenb == opt_lenb) {
      const Tables& t = tables();
      bits_.bits(1u << 1 | (eof ? 1 : 0), 3);
      compress_block(t.static_lcode.data(), t.static_llen.data(), t.static_dcode.data(), t.static_dlen.data());
    } else {
      bits_.bits(2u << 1 | (eof ? 1 : 0), 3);
      send_all_trees(ltree_.max_code + 1, dtree_.max_code + 1, max_blindex + 1);
      compress_block(ltree_.code.data(), ltree_.len.data(), dtree_.code.data(), dtree_.len.data());
    }
    init_block();
    if (eof) bits_.windup();
  }

  void finish() { bits_.flush(); }

 private:
  struct Sym {
    uint16_t dist;  // 0: a literal; else the match distance (1-based)
    uint8_t lc;     // literal, or match length - 3
  };

  void init_block() {
    for (Tree* t : {&ltree_, &dtree_, &bltree_}) std::fill(t->freq.begin(), t->freq.begin() + t->elems, 0);
    ltree_.freq[kEndBlock] = 1;
    opt_len_ = static_len_ = 0;
    last_lit_ = last_dist_ = 0;
    syms_.clear();
  }

  bool smaller(const Tree& t, int n, int m) const {
    return t.freq[n] < t.freq[m] || (t.freq[n] == t.freq[m] && depth_[n] <= depth_[m]);
  }
  void downheap(const Tree& t, int k) {
    const int v = heap_[k];
    int j = k << 1;
    while (j <= heap_len_) {
      if (j < heap_len_ && smaller(t, heap_[j + 1], heap_[j])) ++j;
      if (smaller(t, v, heap_[j])) break;
      heap_[k] = heap_[j];
      k = j;
      j <<= 1;
    }
    heap_[k] = v;
  }

  void build_tree(Tree& t) {
    int max_code = -1, node = t.elems;
    heap_len_ = 0;
    heap_max_ = kHeapSize;
    for (int n = 0; n < t.elems; ++n) {
      if (t.freq[n] != 0) {
        heap_[++heap_len_] = max_code = n;
        depth_[n] = 0;
      } else {
        t.len[n] = 0;
      }
    }
    // At least two codes, so that a code of one bit exists.
    while (heap_len_ < 2) {
      const int fresh = heap_[++heap_len_] = (max_code < 2 ? ++max_code : 0);
      t.freq[fresh] = 1;
      depth_[fresh] = 0;
      --opt_len_;
      if (t.static_len) static_len_ -= t.static_len[fresh];
    }
    t.max_code = max_code;
    for (int n = heap_len_ / 2; n >= 1; --n) downheap(t, n);
    do {
      const int n = heap_[1];
      heap_[1] = heap_[heap_len_--];
      downheap(t, 1);
      const int m = heap_[1];
      heap_[--heap_max_] = n;
      heap_[--heap_max_] = m;
      t.freq[node] = t.freq[n] + t.freq[m];
      depth_[node] = static_cast<uint8_t>(std::max(depth_[n], depth_[m]) + 1);
      t.dad[n] = t.dad[m] = static_cast<uint16_t>(node);
      heap_[1] = node++;
      downheap(t, 1);
    } while (heap_len_ >= 2);
    heap_[--heap_max_] = heap_[1];
    gen_bitlen(t);
    gen_codes(t);
  }

  void gen_bitlen(Tree& t) {
    bl_count_.fill(0);
    t.len[heap_[heap_max_]] = 0;
    int overflow = 0, h = 0;
    for (h = heap_max_ + 1; h < kHeapSize; ++h) {
      const int n = heap_[h];
      int bits = t.len[t.dad[n]] + 1;
      if (bits > t.max_length) bits = t.max_length, ++overflow;
      t.len[n] = static_cast<uint16_t>(bits);
      if (n > t.max_code) continue;  // not a leaf
      ++bl_count_[bits];
      const int xbits = n >= t.base ? t.extra[n - t.base] : 0;
      const uint64_t f = t.freq[n];
      opt_len_ += f * static_cast<uint64_t>(bits + xbits);
      if (t.static_len) static_len_ += f * static_cast<uint64_t>(t.static_len[n] + xbits);
    }
    if (overflow == 0) return;
    do {
      int bits = t.max_length - 1;
      while (bl_count_[bits] == 0) --bits;
      --bl_count_[bits];
      bl_count_[bits + 1] += 2;
      --bl_count_[t.max_length];
      overflow -= 2;
    } while (overflow > 0);
    for (int bits = t.max_length; bits != 0; --bits) {
      int n = bl_count_[bits];
      while (n != 0) {
        const int m = heap_[--h];
        if (m > t.max_code) continue;
        if (t.len[m] != bits) {
          opt_len_ += (static_cast<int64_t>(bits) - t.len[m]) * static_cast<int64_t>(t.freq[m]);
          t.len[m] = static_cast<uint16_t>(bits);
        }
        --n;
      }
    }
  }

  void gen_codes(Tree& t) {
    std::array<unsigned, kMaxBits + 1> next{};
    unsigned code = 0;
    for (int bits = 1; bits <= kMaxBits; ++bits) next[bits] = code = (code + bl_count_[bits - 1]) << 1;
    for (int n = 0; n <= t.max_code; ++n) {
      const int len = t.len[n];
      if (len != 0) t.code[n] = static_cast<uint16_t>(reverse_bits(next[len]++, len));
    }
  }

  // Length of code n of `t` for the run-length pass; max_code+1 is a guard.
  static int len_at(const Tree& t, int n, int max_code) { return n == max_code + 1 ? 0xffff : t.len[n]; }

  // The code lengths of `t` in the run-length alphabet (RFC 1951 3.2.7),
  // cut into runs where gzip cuts them: symbol(code, extra, extra_bits) for
  // each symbol in order.
  template <class Symbol>
  static void for_each_length_symbol(const Tree& t, int max_code, Symbol&& symbol) {
    int prevlen = -1, nextlen = t.len[0], count = 0, max_count = 7, min_count = 4;
    if (nextlen == 0) max_count = 138, min_count = 3;
    for (int n = 0; n <= max_code; ++n) {
      const int curlen = nextlen;
      nextlen = len_at(t, n + 1, max_code);
      if (++count < max_count && curlen == nextlen) continue;
      if (count < min_count) {
        do symbol(curlen, 0, 0);
        while (--count != 0);
      } else if (curlen != 0) {
        if (curlen != prevlen) {
          symbol(curlen, 0, 0);
          --count;
        }
        symbol(kRep3_6, count - 3, 2);
      } else if (count <= 10) {
        symbol(kRepz3_10, count - 3, 3);
      } else {
        symbol(kRepz11_138, count - 11, 7);
      }
      count = 0;
      prevlen = curlen;
      if (nextlen == 0)
        max_count = 138, min_count = 3;
      else if (curlen == nextlen)
        max_count = 6, min_count = 3;
      else
        max_count = 7, min_count = 4;
    }
  }

  void scan_tree(const Tree& t, int max_code) {
    for_each_length_symbol(t, max_code, [&](int code, int, int) { ++bltree_.freq[code]; });
  }
  void send_tree(const Tree& t, int max_code) {
    for_each_length_symbol(t, max_code, [&](int code, int extra, int extra_bits) {
      send_bl(code);
      if (extra_bits) bits_.bits(extra, extra_bits);
    });
  }
  void send_bl(int c) { bits_.bits(bltree_.code[c], bltree_.len[c]); }

  int build_bl_tree() {
    scan_tree(ltree_, ltree_.max_code);
    scan_tree(dtree_, dtree_.max_code);
    build_tree(bltree_);
    int max_blindex = kBlCodes - 1;
    for (; max_blindex >= 3; --max_blindex)
      if (bltree_.len[kBlOrder[max_blindex]] != 0) break;
    opt_len_ += 3 * (max_blindex + 1) + 5 + 5 + 4;
    return max_blindex;
  }

  void send_all_trees(int lcodes, int dcodes, int blcodes) {
    bits_.bits(lcodes - 257, 5);
    bits_.bits(dcodes - 1, 5);
    bits_.bits(blcodes - 4, 4);
    for (int rank = 0; rank < blcodes; ++rank) bits_.bits(bltree_.len[kBlOrder[rank]], 3);
    send_tree(ltree_, lcodes - 1);
    send_tree(dtree_, dcodes - 1);
  }

  void compress_block(const uint16_t* lcode, const uint16_t* llen, const uint16_t* dcode, const uint16_t* dlen) {
    const Tables& t = tables();
    for (const Sym& s : syms_) {
      if (s.dist == 0) {
        bits_.bits(lcode[s.lc], llen[s.lc]);
        continue;
      }
      int code = t.length_code[s.lc];
      bits_.bits(lcode[code + kLiterals + 1], llen[code + kLiterals + 1]);
      if (kExtraLBits[code] != 0) bits_.bits(s.lc - t.base_length[code], kExtraLBits[code]);
      const unsigned dist = s.dist - 1u;
      code = t.d_code(dist);
      bits_.bits(dcode[code], dlen[code]);
      if (kExtraDBits[code] != 0) bits_.bits(dist - t.base_dist[code], kExtraDBits[code]);
    }
    bits_.bits(lcode[kEndBlock], llen[kEndBlock]);
  }

  BitWriter bits_;
  Tree ltree_, dtree_, bltree_;
  std::array<int, kHeapSize + 1> heap_{};
  std::array<uint8_t, kHeapSize> depth_{};
  std::array<int, kMaxBits + 1> bl_count_{};
  int heap_len_ = 0, heap_max_ = 0;
  uint64_t opt_len_ = 0, static_len_ = 0;
  unsigned last_lit_ = 0, last_dist_ = 0;
  std::vector<Sym> syms_;
};

}  // namespace

struct DeflateBlockWriter::Impl : BlockWriter {
  using BlockWriter::BlockWriter;
};

DeflateBlockWriter::DeflateBlockWriter(const DeflateOutput& out) : impl_(std::make_unique<Impl>(out)) {}
DeflateBlockWriter::~DeflateBlockWriter() = default;
bool DeflateBlockWriter::tally(unsigned dist, unsigned lc, unsigned strstart, long block_start, int level) {
  return impl_->tally(dist, lc, strstart, block_start, level);
}
void DeflateBlockWriter::flush(const unsigned char* stored, uint64_t stored_len, bool eof) {
  impl_->flush(stored, stored_len, eof);
}
void DeflateBlockWriter::finish() { impl_->finish(); }

}  // namespace upkeep::delta

#include "upkeep/delta/bitcode.h"

#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

// Thrown inside the walker; decode_bitcode declines, encode_bitcode fails.
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr unsigned char kBitcodeMagic[4] = {'B', 'C', 0xC0, 0xDE};
constexpr unsigned char kWrapperMagic[4] = {0xDE, 0xC0, 0x17, 0x0B};
constexpr int kMaxDepth = 64;
constexpr uint64_t kMaxAbbrevOps = 256;
constexpr size_t kMaxAbbrevs = 1 << 16;

enum class OpKind { kLiteral, kFixed, kVbr, kArray, kChar6, kBlob };
struct Op {
  OpKind kind;
  uint64_t value;  // the literal, or the width
};
using Abbrev = std::vector<Op>;

uint32_t le32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

// Where the bit stream starts: after the magic, or after the wrapper header
// and the magic it points at. Everything before is copied as it is.
size_t stream_start(std::string_view f) {
  const auto* p = reinterpret_cast<const unsigned char*>(f.data());
  if (f.size() >= 4 && std::memcmp(p, kBitcodeMagic, 4) == 0) return 4;
  if (f.size() >= 20 && std::memcmp(p, kWrapperMagic, 4) == 0) {
    const uint64_t offset = le32(p + 8);
    if (offset >= 20 && offset + 4 <= f.size() && std::memcmp(p + offset, kBitcodeMagic, 4) == 0) return offset + 4;
  }
  throw Malformed("not LLVM bitcode");
}

// Bits to varints.
class Decoder {
 public:
  explicit Decoder(std::string_view file) : d_(reinterpret_cast<const unsigned char*>(file.data())) {
    start_ = stream_start(file);
    nbits_ = (file.size() - start_) * 8;
    d_ += start_;
    put_varint(out_, start_);
    out_.append(file.data(), start_);
    limit_ = kMaxDecodedRatio * file.size() + 1024;
  }
  uint64_t fixed(int w) {
    const uint64_t v = read(w);
    emit(v);
    return v;
  }
  uint64_t vbr(int w) {
    uint64_t v = 0;
    for (int shift = 0;; shift += w - 1) {
      const uint64_t chunk = read(w);
      const uint64_t payload = chunk & ((uint64_t{1} << (w - 1)) - 1);
      if (shift >= 64 ? payload != 0 : (payload << shift) >> shift != payload)
        throw Malformed("VBR value over 64 bits");
      if (shift < 64) v |= payload << shift;
      if (!(chunk >> (w - 1))) break;
    }
    emit(v);
    return v;
  }
  void align32() {
    pos_ = (pos_ + 31) & ~uint64_t{31};
    if (pos_ > nbits_) throw Malformed("alignment past the end");
  }
  void bytes(uint64_t n) {
    if (pos_ % 8 || n > (nbits_ - pos_) / 8) throw Malformed("blob past the end");
    grow(n);
    out_.append(reinterpret_cast<const char*>(d_ + pos_ / 8), n);
    pos_ += 8 * n;
  }
  // Whether `n` elements of at least `bits` bits each fit in what is left.
  void check_count(uint64_t n, int bits) {
    if (bits < 1 || n > (nbits_ - pos_) / static_cast<uint64_t>(bits)) throw Malformed("count past the end");
  }
  // At the top level: another block follows (ENTER_SUBBLOCK, abbreviation
  // id 1 in 2 bits) or the rest is trailing bytes.
  bool more_blocks() {
    const bool more = nbits_ - pos_ >= 32 && peek(2) == 1;
    emit(more ? 1 : 0);
    return more;
  }
  void trailer() {
    if (pos_ % 8) throw Malformed("unaligned end");
    const uint64_t n = (nbits_ - pos_) / 8;
    emit(n);
    bytes(n);
  }
  std::string take() { return std::move(out_); }

 private:
  void grow(uint64_t n) {
    if (out_.size() + n > limit_) throw Malformed("decoded form too large");
  }
  void emit(uint64_t v) {
    grow(10);
    put_varint(out_, v);
  }
  uint64_t peek(int w) {
    const uint64_t p = pos_;
    const uint64_t v = read(w);
    pos_ = p;
    return v;
  }
  uint64_t read(int w) {
    if (w < 0 || w > 64 || static_cast<uint64_t>(w) > nbits_ - pos_) throw Malformed("read past the end");
    uint64_t v = 0;
    for (int got = 0; got < w;) {
      const int off = static_cast<int>(pos_ & 7);
      const int take = std::min(8 - off, w - got);
      v |= static_cast<uint64_t>((d_[pos_ >> 3] >> off) & ((1u << take) - 1)) << got;
      got += take;
      pos_ += static_cast<uint64_t>(take);
    }
    return v;
  }

  const unsigned char* d_;
  size_t start_ = 0;
  uint64_t nbits_ = 0, pos_ = 0, limit_ = 0;
  std::string out_;
};

// Varints to bits.
class Encoder {
 public:
  Encoder(std::string_view decoded, uint64_t max_size) : in_(decoded), max_(max_size) {
    const uint64_t n = varint();
    if (n > in_.size() - at_) throw Malformed("prefix past the end");
    out_.append(in_.data() + at_, n);
    at_ += n;
    stream_ = out_.size();
    check_size();
  }
  uint64_t fixed(int w) {
    const uint64_t v = varint();
    if (w < 64 && v >> w) throw Malformed("a value wider than its field");
    write(v, w);
    return v;
  }
  uint64_t vbr(int w) {
    const uint64_t v = varint();
    const uint64_t high = uint64_t{1} << (w - 1);
    uint64_t x = v;
    for (; x >= high; x >>= (w - 1)) write((x & (high - 1)) | high, w);
    write(x, w);
    return v;
  }
  void align32() { write(0, static_cast<int>((32 - tell() % 32) % 32)); }
  void bytes(uint64_t n) {
    if (n > in_.size() - at_) throw Malformed("blob past the end");
    for (uint64_t i = 0; i < n; ++i) write(static_cast<unsigned char>(in_[at_ + i]), 8);
    at_ += n;
  }
  void check_count(uint64_t n, int) {
    if (n > in_.size() - at_) throw Malformed("count past the end");
  }
  bool more_blocks() {
    const uint64_t v = varint();
    if (v > 1) throw Malformed("bad block flag");
    return v == 1;
  }
  void trailer() { bytes(varint()); }
  std::string take() {
    if (bits_ || at_ != in_.size()) throw Malformed("trailing data");
    return std::move(out_);
  }

 private:
  uint64_t tell() const { return (out_.size() - stream_) * 8 + static_cast<uint64_t>(bits_); }
  void check_size() {
    if (out_.size() > max_) throw Malformed("encodes to more than the expected size");
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (at_ >= in_.size() || shift > 63) throw Malformed("varint past the end");
      const auto b = static_cast<unsigned char>(in_[at_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
  }
  void write(uint64_t v, int w) {
    for (int put = 0; put < w;) {
      const int take = std::min(8 - bits_, w - put);
      acc_ |= static_cast<unsigned>((v >> put) & ((1u << take) - 1)) << bits_;
      bits_ += take;
      put += take;
      if (bits_ == 8) {
        out_ += static_cast<char>(acc_);
        acc_ = 0;
        bits_ = 0;
        check_size();
      }
    }
  }

  std::string_view in_;
  size_t at_ = 0;
  uint64_t max_;
  std::string out_;
  size_t stream_ = 0;
  unsigned acc_ = 0;
  int bits_ = 0;
};

// The bit stream's grammar, walked the same way in both directions.
template <class IO>
class Walker {
 public:
  explicit Walker(IO& io) : io_(io) {}

  void run() {
    bool any = false;
    while (io_.more_blocks()) {
      if (io_.fixed(2) != 1) throw Malformed("top level: expected a block");
      block(1);
      any = true;
    }
    if (!any) throw Malformed("no block after the magic");
    io_.trailer();
  }

 private:
  int width_of(uint64_t w, int lo, int hi) {
    if (w < static_cast<uint64_t>(lo) || w > static_cast<uint64_t>(hi)) throw Malformed("field width out of range");
    return static_cast<int>(w);
  }

  void block(int depth) {
    if (depth > kMaxDepth) throw Malformed("blocks nested too deep");
    const uint64_t id = io_.vbr(8);
    const int width = width_of(io_.vbr(4), 1, 32);
    io_.align32();
    io_.fixed(32);  // length in words: a value like any other
    std::vector<Abbrev> abbrevs;
    if (auto it = blockinfo_.find(id); it != blockinfo_.end()) abbrevs = it->second;
    std::optional<uint64_t> info_target;  // BLOCKINFO's SETBID
    for (;;) {
      const uint64_t a = io_.fixed(width);
      if (a == 0) {
        io_.align32();
        return;
      }
      if (a == 1) {
        block(depth + 1);
      } else if (a == 2) {
        Abbrev def = define_abbrev();
        if (id == 0) {
          if (!info_target) throw Malformed("BLOCKINFO abbreviation before SETBID");
          add(blockinfo_[*info_target], std::move(def));
        } else {
          add(abbrevs, std::move(def));
        }
      } else if (a == 3) {
        const uint64_t code = io_.vbr(6);
        const uint64_t n = io_.vbr(6);
        io_.check_count(n, 6);
        uint64_t first = 0;
        for (uint64_t i = 0; i < n; ++i) {
          const uint64_t v = io_.vbr(6);
          if (i == 0) first = v;
        }
        if (id == 0 && code == 1 && n >= 1) info_target = first;
      } else {
        if (a - 4 >= abbrevs.size()) throw Malformed("undefined abbreviation");
        std::vector<uint64_t> head = record(abbrevs[a - 4]);
        if (id == 0 && head.size() >= 2 && head[0] == 1) info_target = head[1];
      }
    }
  }

  void add(std::vector<Abbrev>& list, Abbrev a) {
    if (++abbrev_count_ > kMaxAbbrevs) throw Malformed("too many abbreviations");
    list.push_back(std::move(a));
  }

  Abbrev define_abbrev() {
    const uint64_t n = io_.vbr(5);
    if (n == 0 || n > kMaxAbbrevOps) throw Malformed("abbreviation op count");
    Abbrev ops;
    for (uint64_t i = 0; i < n; ++i) {
      if (io_.fixed(1)) {
        ops.push_back({OpKind::kLiteral, io_.vbr(8)});
        continue;
      }
      switch (io_.fixed(3)) {
        case 1:
          ops.push_back({OpKind::kFixed, static_cast<uint64_t>(width_of(io_.vbr(5), 0, 64))});
          break;
        case 2:
          ops.push_back({OpKind::kVbr, static_cast<uint64_t>(width_of(io_.vbr(5), 2, 32))});
          break;
        case 3:
          ops.push_back({OpKind::kArray, 0});
          break;
        case 4:
          ops.push_back({OpKind::kChar6, 0});
          break;
        case 5:
          ops.push_back({OpKind::kBlob, 0});
          break;
        default:
          throw Malformed("unknown abbreviation encoding");
      }
    }
    for (size_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == OpKind::kArray) {
        // The element is the last op, a scalar of at least one bit.
        if (i + 2 != ops.size()) throw Malformed("array not second to last");
        const Op& e = ops[i + 1];
        if (!((e.kind == OpKind::kFixed && e.value > 0) || e.kind == OpKind::kVbr || e.kind == OpKind::kChar6))
          throw Malformed("array element");
        break;
      }
      if (ops[i].kind == OpKind::kBlob && i + 1 != ops.size()) throw Malformed("blob not last");
    }
    return ops;
  }

  uint64_t scalar(const Op& op) {
    switch (op.kind) {
      case OpKind::kLiteral:
        return op.value;
      case OpKind::kFixed:
        return io_.fixed(static_cast<int>(op.value));
      case OpKind::kVbr:
        return io_.vbr(static_cast<int>(op.value));
      case OpKind::kChar6:
        return io_.fixed(6);
      default:
        throw Malformed("not a scalar");
    }
  }

  // The first two values (code and first operand) for SETBID.
  std::vector<uint64_t> record(const Abbrev& ops) {
    std::vector<uint64_t> head;
    for (size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      if (op.kind == OpKind::kArray) {
        const Op& e = ops[i + 1];
        const uint64_t n = io_.vbr(6);
        io_.check_count(n, e.kind == OpKind::kChar6 ? 6 : static_cast<int>(e.value));
        for (uint64_t k = 0; k < n; ++k) {
          const uint64_t v = scalar(e);
          if (head.size() < 2) head.push_back(v);
        }
        return head;
      }
      if (op.kind == OpKind::kBlob) {
        const uint64_t n = io_.vbr(6);
        io_.align32();
        io_.bytes(n);
        io_.align32();
        return head;
      }
      const uint64_t v = scalar(op);
      if (head.size() < 2) head.push_back(v);
    }
    return head;
  }

  IO& io_;
  std::map<uint64_t, std::vector<Abbrev>> blockinfo_;
  size_t abbrev_count_ = 0;
};

std::string encode(std::string_view decoded, uint64_t max_size) {
  Encoder e(decoded, max_size);
  Walker<Encoder>(e).run();
  return e.take();
}

}  // namespace

std::optional<std::string> decode_bitcode(std::string_view file) {
  try {
    Decoder d(file);
    Walker<Decoder>(d).run();
    std::string decoded = d.take();
    if (encode(decoded, file.size()) != file) return std::nullopt;
    return decoded;
  } catch (const Malformed&) {
    return std::nullopt;
  }
}

std::string encode_bitcode(std::string_view decoded, uint64_t max_size, const std::string& what) {
  try {
    return encode(decoded, max_size);
  } catch (const Malformed& e) {
    fail(ErrorCode::kVerification, what + ": its decoded bitcode does not encode: " + e.what());
  }
}

}  // namespace upkeep::delta

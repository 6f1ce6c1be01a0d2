#include "upkeep/delta/suffix_patch.h"

#include <divsufsort.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/bzip2_stream.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/zstd_blob.h"
#include "upkeep/delta/zstd_stream.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep::delta {

namespace {

constexpr char kSuffixPatchMagic[8] = {'U', 'P', 'K', 'B', 'S', 'D', '0', '2'};
constexpr size_t kStreams = 3;              // control, diff, extra
constexpr size_t kStreamEntry = 1 + 8 + 8;  // codec, stored length, decoded length
constexpr size_t kSuffixPatchHeaderSize = 8 + 8 + kStreams * kStreamEntry;
constexpr const char* kStreamNames[kStreams] = {"control", "diff", "extra"};
constexpr int kZstdLevel = 19;
// 4 MiB: the decoder's window. Level 19 would take 8 MiB on large streams;
// measured on real binaries, the smaller window costs nothing.
constexpr int kZstdWindowLog = 22;
constexpr int kMaxBzip2Block = 9;  // x 100 kB
constexpr uint64_t kBzip2BlockBytes = 100000;
// A jump to a new match is taken once it beats continuing the current
// alignment by more than this many bytes (bsdiff's constant).
constexpr int64_t kMatchGain = 8;

enum class StreamCodec : uint8_t { kZstd = 1, kBzip2 = 2 };

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// Control numbers are LEB128 varints (io.h); a seek is zigzag-mapped first.

// --- making ---------------------------------------------------------------

// The source with its suffix array; finds the longest prefix of a piece of
// the target that occurs anywhere in the source.
class SourceIndex {
 public:
  SourceIndex(const unsigned char* data, int64_t size, const std::string& what) : data_(data), size_(size) {
    if (size_ == 0) return;
    sa_.resize(static_cast<size_t>(size_));
    if (divsufsort(data_, sa_.data(), static_cast<saidx_t>(size_)) != 0)
      fail(ErrorCode::kFailure, what + ": libdivsufsort failed");
  }

  // Length of the longest match of needle[0, len) in the source; its start in `pos`.
  int64_t longest_match(const unsigned char* needle, int64_t len, int64_t& pos) const {
    pos = 0;
    if (size_ == 0) return 0;
    // Narrow the sorted suffixes to two neighbours around the needle; the
    // longest common prefix is with one of them.
    int64_t lo = 0, hi = size_ - 1;
    while (hi - lo >= 2) {
      int64_t mid = lo + (hi - lo) / 2;
      int64_t start = sa_[mid];
      size_t n = static_cast<size_t>(std::min(size_ - start, len));
      if (std::memcmp(data_ + start, needle, n) < 0)
        lo = mid;
      else
        hi = mid;
    }
    int64_t a = common_prefix(sa_[lo], needle, len), b = common_prefix(sa_[hi], needle, len);
    pos = a > b ? sa_[lo] : sa_[hi];
    return std::max(a, b);
  }

 private:
  int64_t common_prefix(int64_t start, const unsigned char* needle, int64_t len) const {
    int64_t n = std::min(size_ - start, len), i = 0;
    while (i < n && data_[start + i] == needle[i]) ++i;
    return i;
  }

  const unsigned char* data_;
  int64_t size_;
  std::vector<saidx_t> sa_;
};

struct Streams {
  std::string control, diff, extra;
};

// bsdiff's walk over the target. Between two exact matches found through the
// index lies a region that is covered by extending the previous match
// forwards and the next one backwards ("approximately": as long as more than
// half the bytes still agree); where the two extensions overlap, the split
// that keeps the most agreeing bytes wins. Extended regions become diff
// bytes (target - source, mostly zeros, so they compress well), what is left
// between becomes extra bytes.
Streams diff_streams(const unsigned char* old, int64_t old_size, const unsigned char* neu, int64_t new_size,
                     const SourceIndex& index) {
  Streams out;
  auto agree = [&](int64_t o, int64_t n) { return o >= 0 && o < old_size && old[o] == neu[n]; };
  int64_t scan = 0, len = 0, pos = 0;
  int64_t last_scan = 0, last_pos = 0, last_offset = 0;
  while (scan < new_size) {
    // Search for a match that beats simply continuing at last_offset.
    int64_t old_score = 0;  // bytes of [scan, scan+len) that agree at last_offset
    scan += len;
    for (int64_t scored = scan; scan < new_size; ++scan) {
      len = index.longest_match(neu + scan, new_size - scan, pos);
      for (; scored < scan + len; ++scored)
        if (agree(scored + last_offset, scored)) ++old_score;
      if ((len == old_score && len != 0) || len > old_score + kMatchGain) break;
      if (agree(scan + last_offset, scan)) --old_score;
    }
    if (len == old_score && scan != new_size) continue;  // the current alignment still holds

    // Forward extension of the previous match: the length with the best
    // (agreeing*2 - length) score.
    int64_t len_f = 0;
    for (int64_t i = 0, s = 0, best = 0; last_scan + i < scan && last_pos + i < old_size;) {
      if (old[last_pos + i] == neu[last_scan + i]) ++s;
      ++i;
      if (s * 2 - i > best * 2 - len_f) best = s, len_f = i;
    }
    // Backward extension of the new match.
    int64_t len_b = 0;
    if (scan < new_size) {
      for (int64_t i = 1, s = 0, best = 0; scan >= last_scan + i && pos >= i; ++i) {
        if (old[pos - i] == neu[scan - i]) ++s;
        if (s * 2 - i > best * 2 - len_b) best = s, len_b = i;
      }
    }
    if (last_scan + len_f > scan - len_b) {
      int64_t overlap = (last_scan + len_f) - (scan - len_b);
      int64_t s = 0, best = 0, split = 0;
      for (int64_t i = 0; i < overlap; ++i) {
        if (neu[last_scan + len_f - overlap + i] == old[last_pos + len_f - overlap + i]) ++s;
        if (neu[scan - len_b + i] == old[pos - len_b + i]) --s;
        if (s > best) best = s, split = i + 1;
      }
      len_f += split - overlap;
      len_b -= split;
    }

    for (int64_t i = 0; i < len_f; ++i) out.diff += static_cast<char>(neu[last_scan + i] - old[last_pos + i]);
    int64_t extra = (scan - len_b) - (last_scan + len_f);
    out.extra.append(reinterpret_cast<const char*>(neu + last_scan + len_f), static_cast<size_t>(extra));
    put_varint(out.control, static_cast<uint64_t>(len_f));
    put_varint(out.control, static_cast<uint64_t>(extra));
    put_varint(out.control, zigzag((pos - len_b) - (last_pos + len_f)));

    last_scan = scan - len_b;
    last_pos = pos - len_b;
    last_offset = pos - scan;
  }
  return out;
}

struct Encoded {
  StreamCodec codec;
  std::string bytes;
};

// The smaller of zstd and bzip2 at every block size that makes a
// difference (bzip2 often does better on the diff stream with blocks below
// its maximum); zstd on a tie, as it decodes faster, and for a stream too
// large for one bzip2 call.
Encoded encode_smallest(std::string_view raw, const std::string& what) {
  Encoded best{StreamCodec::kZstd, zstd_compress(raw, kZstdLevel, what, kZstdWindowLog)};
  for (int block = 1; block <= kMaxBzip2Block && raw.size() <= kMaxBzip2Input; ++block) {
    std::string b = bzip2_compress(raw, block, what);
    if (b.size() < best.bytes.size()) best = {StreamCodec::kBzip2, std::move(b)};
    // Once the stream fits in one block, larger blocks give the same bytes.
    if (raw.size() + 19 <= static_cast<uint64_t>(block) * kBzip2BlockBytes) break;
  }
  return best;
}

}  // namespace

void make_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                       const std::filesystem::path& dest, Durability d) {
  MappedFile src = MappedFile::open_read_only(source);
  MappedFile tgt = MappedFile::open_read_only(target);
  if (src.size() > static_cast<uint64_t>(std::numeric_limits<saidx_t>::max()))
    fail(ErrorCode::kUsage, source.string() + ": " + std::to_string(src.size()) +
                                " bytes is more than a suffix-array patch allows (2 GiB)");
  if (tgt.size() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    fail(ErrorCode::kUsage, target.string() + ": too large");
  const std::string what = "making a bsdiff patch of " + target.string();
  auto old_size = static_cast<int64_t>(src.size()), new_size = static_cast<int64_t>(tgt.size());
  SourceIndex index(src.data(), old_size, what);
  Streams s = diff_streams(src.data(), old_size, tgt.data(), new_size, index);

  const std::string* raw[kStreams] = {&s.control, &s.diff, &s.extra};
  Encoded encoded[kStreams];
  std::string header(kSuffixPatchMagic, sizeof kSuffixPatchMagic);
  put_u64(header, tgt.size());
  for (size_t i = 0; i < kStreams; ++i) {
    encoded[i] = encode_smallest(*raw[i], what + " (" + kStreamNames[i] + " stream)");
    header += static_cast<char>(encoded[i].codec);
    put_u64(header, encoded[i].bytes.size());
    put_u64(header, raw[i]->size());
  }
  OutputFile out(dest, d);
  out.write(header.data(), header.size());
  for (const Encoded& e : encoded) out.write(e.bytes.data(), e.bytes.size());
  out.commit();
}

// --- applying -------------------------------------------------------------

namespace {

// One stream as the header describes it.
struct StreamInfo {
  StreamCodec codec;
  uint64_t offset, stored, decoded;
};

std::unique_ptr<StreamReader> open_stream(const InputFile& patch, const StreamInfo& s, std::string label) {
  if (s.codec == StreamCodec::kBzip2)
    return std::make_unique<Bzip2StreamReader>(patch, s.offset, s.stored, std::move(label));
  return std::make_unique<ZstdFrameReader>(patch, s.offset, s.stored, std::move(label), kZstdWindowLog);
}

// Reads the three streams and writes the target (see apply_suffix_patch).
// Every stream must decode to exactly the length its header declares.
class Applier {
 public:
  Applier(const InputFile& patch, const InputFile& source, uint64_t expected_size, const StreamInfo (&streams)[3])
      : name_(patch.path().string()),
        source_(source),
        expected_(expected_size),
        control_(open_stream(patch, streams[0], name_ + ": control stream")),
        diff_(open_stream(patch, streams[1], name_ + ": diff stream")),
        extra_(open_stream(patch, streams[2], name_ + ": extra stream")),
        control_size_(streams[0].decoded),
        diff_size_(streams[1].decoded),
        extra_size_(streams[2].decoded),
        buf_(1 << 16),
        old_buf_(1 << 16),
        control_buf_(1 << 12) {}

  void run(OutputFile& out) {
    const auto old_size = static_cast<int64_t>(source_.size());
    int64_t old_pos = 0;  // stays within [0, old_size]
    // The maker writes at most one triple per target byte, plus one: more
    // would only be work for nothing (a control-stream bomb).
    uint64_t triples = 0;
    while (control_->produced() < control_size_ || control_pos_ < control_len_) {
      if (++triples > expected_ + 1) bad("the control stream has more triples than the target has bytes");
      auto add = static_cast<int64_t>(control_number()), copy = static_cast<int64_t>(control_number());
      int64_t seek = unzigzag(control_number());
      uint64_t room = expected_ - out.written();
      if (add < 0 || copy < 0) bad("a length in a control triple is out of range");
      if (static_cast<uint64_t>(add) > room || static_cast<uint64_t>(copy) > room - static_cast<uint64_t>(add))
        bad("a control triple writes past the expected " + std::to_string(expected_) + " bytes");
      if (add > old_size - old_pos) bad("a control triple reads past the end of the source");
      add_from_source(out, old_pos, add);
      old_pos += add;
      copy_extra(out, copy);
      if (seek < -old_pos || seek > old_size - old_pos) bad("a control triple seeks outside the source");
      old_pos += seek;
    }
    if (out.written() != expected_)
      bad("makes " + std::to_string(out.written()) + " bytes, expected " + std::to_string(expected_));
    // The diff and extra sizes add up to the target's (checked with the
    // header) and neither was overrun, so both were read to their end.
    longer_than_declared(*control_, control_size_);
    longer_than_declared(*diff_, diff_size_);
    longer_than_declared(*extra_, extra_size_);
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { fail(ErrorCode::kVerification, name_ + ": " + what); }

  void longer_than_declared(StreamReader& stream, uint64_t declared) {
    if (!stream.at_end())
      fail(ErrorCode::kVerification,
           stream.label() + " is longer than the " + std::to_string(declared) + " bytes its header declares");
  }

  // Exactly n bytes of `stream`, or the patch is bad.
  void take(StreamReader& stream, uint64_t declared, char* data, size_t n) {
    if (n > declared - stream.produced())
      fail(ErrorCode::kVerification, stream.label() + ": the control triples use more than the " +
                                         std::to_string(declared) + " bytes its header declares");
    if (stream.read(data, n) != n)
      fail(ErrorCode::kVerification, stream.label() + " ends after " + std::to_string(stream.produced()) +
                                         " bytes, before the " + std::to_string(declared) + " its header declares");
  }

  // The next varint of the control stream (at most 10 bytes, at most 2^64 - 1).
  uint64_t control_number() {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (control_pos_ == control_len_) {
        size_t want =
            static_cast<size_t>(std::min<uint64_t>(control_buf_.size(), control_size_ - control_->produced()));
        if (want == 0) bad("the control stream ends inside a triple");
        take(*control_, control_size_, control_buf_.data(), want);
        control_pos_ = 0;
        control_len_ = want;
      }
      auto byte = static_cast<unsigned char>(control_buf_[control_pos_++]);
      if (shift == 63 && byte > 1) bad("a number in the control stream is longer than 64 bits");
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
  }

  void add_from_source(OutputFile& out, int64_t old_pos, int64_t n) {
    while (n > 0) {
      size_t chunk = static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(buf_.size())));
      take(*diff_, diff_size_, buf_.data(), chunk);
      if (source_.read_at(static_cast<uint64_t>(old_pos), old_buf_.data(), chunk) != chunk)
        fail(ErrorCode::kVerification, source_.path().string() + ": shorter than when it was opened");
      for (size_t i = 0; i < chunk; ++i) buf_[i] = static_cast<char>(buf_[i] + old_buf_[i]);
      out.write(buf_.data(), chunk);
      old_pos += static_cast<int64_t>(chunk);
      n -= static_cast<int64_t>(chunk);
    }
  }

  void copy_extra(OutputFile& out, int64_t n) {
    while (n > 0) {
      size_t chunk = static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(buf_.size())));
      take(*extra_, extra_size_, buf_.data(), chunk);
      out.write(buf_.data(), chunk);
      n -= static_cast<int64_t>(chunk);
    }
  }

  std::string name_;
  const InputFile& source_;
  uint64_t expected_;
  std::unique_ptr<StreamReader> control_, diff_, extra_;
  uint64_t control_size_, diff_size_, extra_size_;
  std::vector<char> buf_, old_buf_, control_buf_;
  size_t control_pos_ = 0, control_len_ = 0;  // the unread part of control_buf_
};

}  // namespace

std::string apply_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                               const std::filesystem::path& dest, uint64_t expected_size, Durability d) {
  const std::string name = patch.string();
  InputFile in(patch);
  unsigned char header[kSuffixPatchHeaderSize];
  if (in.read_at(0, header, sizeof header) != sizeof header)
    fail(ErrorCode::kVerification, name + ": truncated: shorter than the " + std::to_string(kSuffixPatchHeaderSize) +
                                       "-byte header of a bsdiff patch");
  if (std::memcmp(header, kSuffixPatchMagic, sizeof kSuffixPatchMagic) != 0)
    fail(ErrorCode::kVerification, name + ": not a bsdiff patch of this version (bad magic, expected UPKBSD02)");
  uint64_t target_size = get_u64(header + 8);
  if (target_size != expected_size)
    fail(ErrorCode::kVerification, name + ": the patch makes " + std::to_string(target_size) + " bytes, expected " +
                                       std::to_string(expected_size));
  StreamInfo streams[kStreams];
  uint64_t body = in.size() - kSuffixPatchHeaderSize, declared = 0;
  for (size_t i = 0; i < kStreams; ++i) {
    const unsigned char* entry = header + 16 + i * kStreamEntry;
    const std::string stream = std::string("the ") + kStreamNames[i] + " stream";
    if (entry[0] != static_cast<uint8_t>(StreamCodec::kZstd) && entry[0] != static_cast<uint8_t>(StreamCodec::kBzip2))
      fail(ErrorCode::kVerification, name + ": " + stream + " has the unknown codec byte " + std::to_string(entry[0]) +
                                         " (expected 1 for zstd or 2 for bzip2)");
    streams[i] = {static_cast<StreamCodec>(entry[0]), kSuffixPatchHeaderSize + declared, get_u64(entry + 1),
                  get_u64(entry + 9)};
    if (streams[i].stored > body - declared)
      fail(ErrorCode::kVerification, name + ": truncated: its header declares more stream bytes than the file has");
    declared += streams[i].stored;
  }
  if (declared != body)
    fail(ErrorCode::kVerification,
         name + ": " + std::to_string(body - declared) + " bytes after the declared streams, expected none");
  // Every target byte is a diff byte or an extra byte.
  if (streams[1].decoded > target_size || streams[2].decoded != target_size - streams[1].decoded)
    fail(ErrorCode::kVerification, name + ": its header declares " + std::to_string(streams[1].decoded) + " diff and " +
                                       std::to_string(streams[2].decoded) +
                                       " extra bytes, which do not add up to the " + std::to_string(target_size) +
                                       "-byte target");
  InputFile src(source);
  Applier applier(in, src, expected_size, streams);
  OutputFile out(dest, d);
  applier.run(out);
  return out.commit();
}

}  // namespace upkeep::delta

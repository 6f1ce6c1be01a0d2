#include "delta/suffix_patch.h"

#include <divsufsort.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "delta/io.h"
#include "delta/zstd_blob.h"
#include "delta/zstd_stream.h"
#include "error.h"
#include "mapped_file.h"

namespace upkeep::delta {

namespace {

constexpr char kMagic[8] = {'U', 'P', 'K', 'B', 'S', 'D', '0', '1'};
constexpr size_t kHeaderSize = 8 + 4 * 8;
constexpr size_t kTripleSize = 3 * 8;
constexpr int kLevel = 19;
// A jump to a new match is taken once it beats continuing the current
// alignment by more than this many bytes (bsdiff's constant).
constexpr int64_t kMatchGain = 8;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
uint64_t get_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

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
    put_u64(out.control, static_cast<uint64_t>(len_f));
    put_u64(out.control, static_cast<uint64_t>(extra));
    put_u64(out.control, static_cast<uint64_t>((pos - len_b) - (last_pos + len_f)));

    last_scan = scan - len_b;
    last_pos = pos - len_b;
    last_offset = pos - scan;
  }
  return out;
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

  std::string control = zstd_compress(s.control, kLevel, what);
  std::string diff = zstd_compress(s.diff, kLevel, what);
  std::string extra = zstd_compress(s.extra, kLevel, what);
  std::string header(kMagic, sizeof kMagic);
  put_u64(header, tgt.size());
  put_u64(header, control.size());
  put_u64(header, diff.size());
  put_u64(header, extra.size());
  OutputFile out(dest, d);
  for (const std::string* part : {&header, &control, &diff, &extra}) out.write(part->data(), part->size());
  out.commit();
}

// --- applying -------------------------------------------------------------

namespace {

// Reads the three streams and writes the target (see apply_suffix_patch).
class Applier {
 public:
  Applier(const InputFile& patch, const InputFile& source, uint64_t expected_size, const uint64_t (&lengths)[3])
      : name_(patch.path().string()),
        source_(source),
        expected_(expected_size),
        control_(patch, kHeaderSize, lengths[0], name_ + ": control stream"),
        diff_(patch, kHeaderSize + lengths[0], lengths[1], name_ + ": diff stream"),
        extra_(patch, kHeaderSize + lengths[0] + lengths[1], lengths[2], name_ + ": extra stream"),
        buf_(1 << 16),
        old_buf_(1 << 16) {}

  void run(OutputFile& out) {
    const auto old_size = static_cast<int64_t>(source_.size());
    int64_t old_pos = 0;  // stays within [0, old_size]
    while (!control_.at_end()) {
      unsigned char t[kTripleSize];
      if (control_.read(t, sizeof t) != sizeof t) bad("the control stream ends inside a triple");
      auto add = static_cast<int64_t>(get_u64(t)), copy = static_cast<int64_t>(get_u64(t + 8));
      auto seek = static_cast<int64_t>(get_u64(t + 16));
      uint64_t room = expected_ - out.written();
      if (add < 0 || copy < 0) bad("negative length in a control triple");
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
    if (!diff_.at_end()) bad("the diff stream is longer than the control stream uses");
    if (!extra_.at_end()) bad("the extra stream is longer than the control stream uses");
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { fail(ErrorCode::kVerification, name_ + ": " + what); }

  // Exactly n bytes of `stream`, or the patch is bad.
  void take(ZstdFrameReader& stream, char* data, size_t n) {
    if (stream.read(data, n) != n)
      fail(ErrorCode::kVerification, stream.label() + " ends before the control stream says it does");
  }

  void add_from_source(OutputFile& out, int64_t old_pos, int64_t n) {
    while (n > 0) {
      size_t chunk = static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(buf_.size())));
      take(diff_, buf_.data(), chunk);
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
      take(extra_, buf_.data(), chunk);
      out.write(buf_.data(), chunk);
      n -= static_cast<int64_t>(chunk);
    }
  }

  std::string name_;
  const InputFile& source_;
  uint64_t expected_;
  ZstdFrameReader control_, diff_, extra_;
  std::vector<char> buf_, old_buf_;
};

}  // namespace

std::string apply_suffix_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                               const std::filesystem::path& dest, uint64_t expected_size, Durability d) {
  const std::string name = patch.string();
  InputFile in(patch);
  unsigned char header[kHeaderSize];
  if (in.read_at(0, header, sizeof header) != sizeof header)
    fail(ErrorCode::kVerification,
         name + ": truncated: shorter than the " + std::to_string(kHeaderSize) + "-byte header of a bsdiff patch");
  if (std::memcmp(header, kMagic, sizeof kMagic) != 0)
    fail(ErrorCode::kVerification, name + ": not a bsdiff patch (bad magic, expected UPKBSD01)");
  uint64_t target_size = get_u64(header + 8);
  if (target_size != expected_size)
    fail(ErrorCode::kVerification, name + ": the patch makes " + std::to_string(target_size) + " bytes, expected " +
                                       std::to_string(expected_size));
  uint64_t lengths[3] = {get_u64(header + 16), get_u64(header + 24), get_u64(header + 32)};
  uint64_t body = in.size() - kHeaderSize, declared = 0;
  for (uint64_t l : lengths) {
    if (l > body - declared)
      fail(ErrorCode::kVerification, name + ": truncated: its header declares more stream bytes than the file has");
    declared += l;
  }
  if (declared != body)
    fail(ErrorCode::kVerification,
         name + ": " + std::to_string(body - declared) + " bytes after the declared streams, expected none");
  InputFile src(source);
  Applier applier(in, src, expected_size, lengths);
  OutputFile out(dest, d);
  applier.run(out);
  return out.commit();
}

}  // namespace upkeep::delta

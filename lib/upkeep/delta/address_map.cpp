#include "upkeep/delta/address_map.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "upkeep/base/error.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

// An anchor where the top 8 bits of the gear hash are 0: one every 256 bytes
// on average, wherever the same content is.
constexpr int kAnchorShift = 56;
// Shorter runs predict too little to pay for their bytes in the patch.
constexpr uint64_t kMinRun = 64;
// Runs with the same shift at most this far apart are one run: the bytes
// between are the same code or data, changed a little.
constexpr uint64_t kMaxJoinGap = 4096;
constexpr uint64_t kMaxRuns = uint64_t{1} << 26;

std::array<uint64_t, 256> gear_table() {
  std::array<uint64_t, 256> t{};
  uint64_t x = 0x9E3779B97F4A7C15ull;  // splitmix64: any fixed table will do
  for (uint64_t& v : t) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    v = z ^ (z >> 31);
  }
  return t;
}

// Calls f(position, hash) at each anchor of `data`.
template <typename F>
void for_each_anchor(const unsigned char* data, uint64_t size, F f) {
  static const std::array<uint64_t, 256> gear = gear_table();
  uint64_t h = 0;
  for (uint64_t i = 0; i < size; ++i) {
    h = (h << 1) + gear[data[i]];
    if (i >= 64 && (h >> kAnchorShift) == 0) f(i, h);
  }
}

std::vector<AddressMap::Run> join_runs(const std::vector<AddressMap::Run>& runs) {
  std::vector<AddressMap::Run> out;
  for (const AddressMap::Run& r : runs) {
    if (!out.empty()) {
      AddressMap::Run& last = out.back();
      const uint64_t last_end = last.new_offset + last.length;
      if (r.new_offset - last.new_offset == r.old_offset - last.old_offset && r.new_offset - last_end <= kMaxJoinGap) {
        last.length = r.new_offset + r.length - last.new_offset;
        continue;
      }
    }
    out.push_back(r);
  }
  return out;
}

// `runs` without the new bytes in `ranges` (new offset, length).
std::vector<AddressMap::Run> cut_out(const std::vector<AddressMap::Run>& runs,
                                     const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::vector<AddressMap::Run> out = runs;
  for (const auto& [at, length] : ranges) {
    std::vector<AddressMap::Run> next;
    for (const AddressMap::Run& r : out) {
      const uint64_t end = r.new_offset + r.length;
      if (end <= at || r.new_offset >= at + length) {
        next.push_back(r);
        continue;
      }
      if (r.new_offset < at) next.push_back({r.new_offset, r.old_offset, at - r.new_offset});
      if (end > at + length) {
        const uint64_t skip = at + length - r.new_offset;
        next.push_back({at + length, r.old_offset + skip, end - (at + length)});
      }
    }
    out = std::move(next);
  }
  return out;
}

}  // namespace

AddressMap::AddressMap(std::vector<Run> runs) : runs_(std::move(runs)) {
  std::vector<Run> sorted = runs_;
  std::sort(sorted.begin(), sorted.end(), [](const Run& a, const Run& b) {
    return a.old_offset != b.old_offset ? a.old_offset < b.old_offset : a.new_offset < b.new_offset;
  });
  uint64_t covered = 0;
  for (Run r : sorted) {
    if (r.old_offset < covered) {
      const uint64_t cut = covered - r.old_offset;
      if (cut >= r.length) continue;
      r.old_offset += cut;
      r.new_offset += cut;
      r.length -= cut;
    }
    by_old_.push_back(r);
    covered = r.old_offset + r.length;
  }
}

AddressMap AddressMap::build(const unsigned char* old_data, uint64_t old_size, const unsigned char* new_data,
                             uint64_t new_size, const std::vector<std::pair<uint64_t, uint64_t>>& exclude,
                             std::vector<Run> extra) {
  constexpr uint64_t kDuplicate = UINT64_MAX;
  std::unordered_map<uint64_t, uint64_t> anchors;
  anchors.reserve(old_size / 200 + 16);
  for_each_anchor(old_data, old_size, [&](uint64_t i, uint64_t h) {
    auto [it, fresh] = anchors.emplace(h, i);
    if (!fresh) it->second = kDuplicate;
  });

  std::vector<Run> runs;
  uint64_t covered = 0;  // new bytes below this belong to a run already
  for_each_anchor(new_data, new_size, [&](uint64_t i, uint64_t h) {
    if (i < covered) return;
    auto it = anchors.find(h);
    if (it == anchors.end() || it->second == kDuplicate) return;
    uint64_t n = i, o = it->second;
    while (n > covered && o > 0 && new_data[n - 1] == old_data[o - 1]) --n, --o;
    uint64_t end = n, old_end = o;
    while (end < new_size && old_end < old_size && new_data[end] == old_data[old_end]) ++end, ++old_end;
    if (end - n < kMinRun || end <= i) return;
    runs.push_back({n, o, end - n});
    covered = end;
  });
  runs = cut_out(runs, exclude);
  runs.insert(runs.end(), extra.begin(), extra.end());
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.new_offset < b.new_offset; });
  std::vector<Run> disjoint;
  for (const Run& r : runs)
    if (disjoint.empty() || r.new_offset >= disjoint.back().new_offset + disjoint.back().length) disjoint.push_back(r);
  return AddressMap(join_runs(disjoint));
}

std::string AddressMap::serialize() const {
  std::string out;
  put_varint(out, runs_.size());
  uint64_t last_end = 0;
  int64_t last_shift = 0;
  for (const Run& r : runs_) {
    const auto shift = static_cast<int64_t>(r.old_offset - r.new_offset);
    put_varint(out, r.new_offset - last_end);
    put_varint(out, r.length);
    put_varint(out, zigzag(shift - last_shift));
    last_end = r.new_offset + r.length;
    last_shift = shift;
  }
  return out;
}

AddressMap AddressMap::parse(std::string_view bytes, uint64_t old_size, uint64_t new_size, const std::string& what) {
  auto bad = [&](const std::string& why) -> void { fail(ErrorCode::kVerification, what + ": its address map " + why); };
  size_t at = 0;
  uint64_t count = 0;
  if (!get_varint(bytes, at, count) || count > kMaxRuns || count > bytes.size()) bad("has no valid run count");
  std::vector<Run> runs;
  runs.reserve(count);
  uint64_t last_end = 0;
  int64_t last_shift = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t gap = 0, length = 0, shift_delta = 0;
    if (!get_varint(bytes, at, gap) || !get_varint(bytes, at, length) || !get_varint(bytes, at, shift_delta))
      bad("ends inside run " + std::to_string(i));
    const uint64_t start = last_end + gap;
    const int64_t shift = last_shift + unzigzag(shift_delta);
    const uint64_t old_start = start + static_cast<uint64_t>(shift);
    if (start < last_end || length == 0 || start > new_size || length > new_size - start || old_start > old_size ||
        length > old_size - old_start)
      bad("has run " + std::to_string(i) + " outside the files (expected runs in order, inside both files)");
    runs.push_back({start, old_start, length});
    last_end = start + length;
    last_shift = shift;
  }
  if (at != bytes.size()) bad("has bytes after its last run");
  return AddressMap(std::move(runs));
}

std::optional<uint64_t> AddressMap::new_of(uint64_t old_offset) const {
  auto it = std::upper_bound(by_old_.begin(), by_old_.end(), old_offset,
                             [](uint64_t o, const Run& r) { return o < r.old_offset; });
  if (it == by_old_.begin()) return std::nullopt;
  --it;
  if (old_offset - it->old_offset >= it->length) return std::nullopt;
  return it->new_offset + (old_offset - it->old_offset);
}

std::optional<uint64_t> AddressMap::Cursor::old_of(uint64_t new_offset) {
  while (at_ < runs_.size() && runs_[at_].new_offset + runs_[at_].length <= new_offset) ++at_;
  if (at_ == runs_.size() || new_offset < runs_[at_].new_offset) return std::nullopt;
  return runs_[at_].old_offset + (new_offset - runs_[at_].new_offset);
}

const AddressMap::Run* AddressMap::Cursor::run_from(uint64_t new_offset) {
  while (at_ < runs_.size() && runs_[at_].new_offset + runs_[at_].length <= new_offset) ++at_;
  return at_ == runs_.size() ? nullptr : &runs_[at_];
}

}  // namespace upkeep::delta

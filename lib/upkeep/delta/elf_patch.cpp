#include "upkeep/delta/elf_patch.h"

#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/base/parallel_for.h"
#include "upkeep/delta/address_map.h"
#include "upkeep/delta/elf_layout.h"
#include "upkeep/delta/elf_reference.h"
#include "upkeep/delta/elf_symbols.h"
#include "upkeep/delta/elf_tables.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/zstd_blob.h"
#include "upkeep/delta/zstd_patch.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep::delta {

namespace {

constexpr char kMagic[] = "UPKELF02";
constexpr char kMagicRawTables[] = "UPKELF01";  // the first form: its source's tables were left raw
constexpr size_t kHeaderSize = 16;
constexpr int kMapLevel = 19;

struct Bytes {
  const unsigned char* data;
  uint64_t size;
};

// Where an old address went in the new file: through the map when its bytes
// were mapped, else by its section's move (.bss has no bytes to map).
class TargetPredictor {
 public:
  TargetPredictor(const ElfLayout& old_layout, const ElfLayout& new_layout, const AddressMap& map)
      : old_(old_layout), new_(new_layout), map_(map) {
    for (const ElfSection& s : old_.sections())
      if (const ElfSection* n = new_.section_named(s.name)) moved_.emplace(&s, n->addr - s.addr);
  }

  // Calls and loads reach the same targets again and again: the last
  // prediction of each of a few thousand slots is kept.
  std::optional<uint64_t> predict(uint64_t old_target) {
    Cached& c = cache_[(old_target * 0x9E3779B97F4A7C15ull) >> (64 - kCacheBits)];
    if (c.valid && c.old_target == old_target) return c.predicted;
    c = {true, old_target, uncached(old_target)};
    return c.predicted;
  }

 private:
  static constexpr int kCacheBits = 12;
  struct Cached {
    bool valid = false;
    uint64_t old_target = 0;
    std::optional<uint64_t> predicted;
  };

  std::optional<uint64_t> uncached(uint64_t old_target) const {
    if (std::optional<uint64_t> off = old_.offset_of(old_target))
      if (std::optional<uint64_t> n = map_.new_of(*off))
        if (std::optional<uint64_t> addr = new_.address_of(*n)) return addr;
    const ElfSection* s = old_.section_at(old_target);
    if (!s) return std::nullopt;
    auto it = moved_.find(s);
    if (it == moved_.end()) return std::nullopt;
    return old_target + it->second;
  }

  const ElfLayout& old_;
  const ElfLayout& new_;
  const AddressMap& map_;
  std::unordered_map<const ElfSection*, uint64_t> moved_;
  std::vector<Cached> cache_ = std::vector<Cached>(size_t{1} << kCacheBits);
};

enum class Direction { kNormalise, kRestore };

// The one rule both sides apply, in place, to the new file's bytes. At each
// mapped place p of a region of the new file (left to right), the old file
// decides: a reference must start at the mapped place there, whose target
// the predictor can carry over. The new file's own bytes are read only
// where no rewrite ever writes before the decision is made: p and p + 1
// (every value starts at least one byte after its reference's start, and
// the scan moves past a rewritten value). So the client, holding the
// normalised bytes, decides exactly as the vendor did with the real ones.
class ReferenceRewriter {
 public:
  ReferenceRewriter(const ElfLayout& new_layout, unsigned char* data, const ElfLayout& old_layout, Bytes old,
                    const AddressMap& map, Direction direction)
      : data_(data),
        old_layout_(old_layout),
        old_(old),
        predictor_(old_layout, new_layout, map),
        direction_(direction) {}

  // Rewrites the reference the rule finds at new offset p of `region`
  // (mapped to old offset q) that ends by `end`, if any; returns how far the
  // scan moves on.
  uint64_t at(const ElfRegion& region, uint64_t p, uint64_t q, uint64_t end) {
    // q rises with p within a run: the last region found usually holds it.
    if (!old_region_ || q - old_region_->offset >= old_region_->size) old_region_ = old_layout_.region_at(q);
    if (!old_region_ || old_region_->kind != region.kind) return 1;
    const uint64_t addr = region.addr + (p - region.offset);
    const uint64_t old_addr = old_region_->addr + (q - old_region_->offset);
    const uint64_t old_avail = old_region_->offset + old_region_->size - q;
    const std::optional<ElfReference> ref = reference_shape(region.kind, old_.data + q, old_avail, old_addr);
    if (!ref || ref->length > end - p || (region.kind != RegionKind::kCode && addr % ref->width != 0) ||
        std::memcmp(data_ + p, old_.data + q, std::min<size_t>(ref->value_at, 2)) != 0)
      return 1;
    const std::optional<uint64_t> old_target = reference_target(old_layout_, old_.data, q, *old_region_, *ref);
    const std::optional<uint64_t> predicted = old_target ? predictor_.predict(*old_target) : std::nullopt;
    if (!predicted) return 1;
    const uint64_t base = ref->base_address(addr);
    const uint64_t old_value = ref->read(old_.data + q);
    const uint64_t value = ref->read(data_ + p);
    if (direction_ == Direction::kNormalise)
      ref->write(data_ + p, old_value + (base + value - *predicted));  // the old value when predicted right
    else
      ref->write(data_ + p, *predicted + (value - old_value) - base);
    return ref->length;
  }

 private:
  unsigned char* data_;
  const ElfLayout& old_layout_;
  Bytes old_;
  TargetPredictor predictor_;
  Direction direction_;
  const ElfRegion* old_region_ = nullptr;
};

// The scan restarts at every kScanChunk of a region (a reference may not cross
// one), so that chunks are rewritten side by side: each thread writes only
// values inside its chunk, and reads the new file's bytes only at p and p + 1,
// which no other chunk writes (a chunk's first byte starts, never holds, a value).
constexpr uint64_t kScanChunk = 4ull << 20;

void rewrite_chunk(ReferenceRewriter& rewriter, const AddressMap& map, const ElfRegion& region, uint64_t begin,
                   uint64_t end, Bytes old) {
  AddressMap::Cursor cursor(map);
  const bool code = region.kind == RegionKind::kCode;
  CodeReferenceCandidates candidates(old.data, old.size);  // in code, the old file's places worth a closer look
  for (uint64_t p = begin; p < end;) {
    const AddressMap::Run* run = cursor.run_from(p);
    if (!run || run->new_offset >= end) break;
    p = std::max(p, run->new_offset);
    const uint64_t run_end = std::min(end, run->new_offset + run->length);
    const uint64_t shift = run->old_offset - run->new_offset;  // wraps when the run moved back: add it to p first
    while (p < run_end) {
      if (code) {
        const uint64_t q = candidates.next(p + shift);
        if (q == CodeReferenceCandidates::kNone || q - (p + shift) >= run_end - p) break;
        p += q - (p + shift);
      }
      p += rewriter.at(region, p, p + shift, end);
    }
    p = std::max(p, run_end);
  }
}

// Applies the rule to every mapped place of the code and pointer regions.
void rewrite(const ElfLayout& new_layout, unsigned char* data, const ElfLayout& old_layout, Bytes old,
             const AddressMap& map, Direction direction) {
  struct Chunk {
    const ElfRegion* region;
    uint64_t begin, end;
  };
  std::vector<Chunk> chunks;
  for (const ElfRegion& region : new_layout.regions()) {
    if (region.kind != RegionKind::kCode && region.kind != RegionKind::kPointers) continue;  // elf_tables.h's
    for (uint64_t at = region.offset; at < region.offset + region.size; at += kScanChunk)
      chunks.push_back({&region, at, std::min(region.offset + region.size, at + kScanChunk)});
  }
  parallel_for(chunks.size(), default_thread_count(), [&](size_t i) {
    ReferenceRewriter rewriter(new_layout, data, old_layout, old, map, direction);
    rewrite_chunk(rewriter, map, *chunks[i].region, chunks[i].begin, chunks[i].end, old);
  });
}

// A copy of `data` with the value of every reference its own layout shows
// zeroed: what stays the same when code only moves, for AddressMap::build.
std::vector<unsigned char> masked_copy(const ElfLayout& layout, Bytes data) {
  std::vector<unsigned char> out(data.data, data.data + data.size);
  for (const ElfRegion& region : layout.regions()) {
    if (region.kind != RegionKind::kCode && region.kind != RegionKind::kPointers) continue;
    const uint64_t end = region.offset + region.size;
    for (uint64_t p = region.offset; p < end;) {
      const uint64_t addr = region.addr + (p - region.offset);
      const std::optional<ElfReference> ref = reference_shape(region.kind, data.data + p, end - p, addr);
      if (ref && reference_target(layout, data.data, p, region, *ref)) {
        std::memset(out.data() + p + ref->value_at, 0, ref->width);
        p += ref->length;
      } else {
        ++p;
      }
    }
  }
  return out;
}

// The source the inner patch is made from: the old file with its own tables
// rewritten as the new file's are (elf_tables.h), so that a table that did
// not change costs nothing. A private copy: only the tables' pages are copied.
MappedFile normalised_source(const std::filesystem::path& source, const ElfLayout& layout, const unsigned char* raw) {
  MappedFile copy = MappedFile::open_private_copy(source);
  rewrite_elf_tables(layout, copy.writable_data(), raw, TableDirection::kSubtract);
  return copy;
}

}  // namespace

bool make_elf_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                    const std::filesystem::path& dest) {
  MappedFile src = MappedFile::open_read_only(source);
  MappedFile tgt = MappedFile::open_read_only(target);
  std::optional<ElfLayout> old_layout = ElfLayout::parse(src.data(), src.size());
  std::optional<ElfLayout> new_layout = ElfLayout::parse(tgt.data(), tgt.size());
  if (!old_layout || !new_layout) return false;
  const Bytes old{src.data(), src.size()};

  std::optional<AddressMap> map;
  {
    const std::vector<unsigned char> old_masked = masked_copy(*old_layout, old);
    const std::vector<unsigned char> new_masked = masked_copy(*new_layout, {tgt.data(), tgt.size()});
    SymbolSlotRuns slots = symbol_slot_runs(*old_layout, src.data(), *new_layout, tgt.data());
    map = AddressMap::build(old_masked.data(), old_masked.size(), new_masked.data(), new_masked.size(), slots.sections,
                            std::move(slots.runs));
  }
  std::vector<unsigned char> normalised(tgt.data(), tgt.data() + tgt.size());
  rewrite(*new_layout, normalised.data(), *old_layout, old, *map, Direction::kNormalise);
  rewrite_elf_tables(*new_layout, normalised.data(), tgt.data(), TableDirection::kSubtract);

  const std::string what = "making an elf patch of " + target.string();
  const std::string map_frame = zstd_compress(map->serialize(), kMapLevel, what);
  std::string header(kMagic, 8);
  put_le(header, map_frame.size(), 8);
  const MappedFile dictionary = normalised_source(source, *old_layout, src.data());
  OutputFile out(dest);
  out.write(header.data(), header.size());
  out.write(map_frame.data(), map_frame.size());
  write_zstd_patch_frame(dictionary.data(), dictionary.size(), normalised.data(), normalised.size(), out, what);
  out.commit();
  return true;
}

std::string apply_elf_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                            const std::filesystem::path& dest, uint64_t expected_size) {
  const std::string name = patch.string();
  MappedFile src = MappedFile::open_read_only(source);
  MappedFile in = MappedFile::open_read_only(patch);
  const bool raw_tables = in.size() >= kHeaderSize && std::memcmp(in.data(), kMagicRawTables, 8) == 0;
  if (in.size() < kHeaderSize || (!raw_tables && std::memcmp(in.data(), kMagic, 8) != 0))
    fail(ErrorCode::kVerification, name + ": not an elf patch (expected the magic " + std::string(kMagic) + ")");
  const uint64_t map_length = get_le(in.data() + 8, 8);
  if (map_length > in.size() - kHeaderSize)
    fail(ErrorCode::kVerification, name + ": its address map is longer than the patch");
  const auto* map_at = reinterpret_cast<const char*>(in.data() + kHeaderSize);
  // A run takes at least 3 bytes and maps at least 1: a map larger than the file it maps is not one.
  const AddressMap map = AddressMap::parse(zstd_decompress({map_at, map_length}, expected_size + 1024, name),
                                           src.size(), expected_size, name);
  std::optional<ElfLayout> old_layout = ElfLayout::parse(src.data(), src.size());
  if (!old_layout)
    fail(ErrorCode::kVerification, name + ": its source " + source.string() + " is not an x86-64 ELF file");
  const Bytes old{src.data(), src.size()};
  // UPKELF01 was made from the old file as it is.
  const std::optional<MappedFile> normalised =
      raw_tables ? std::nullopt : std::optional(normalised_source(source, *old_layout, src.data()));
  const unsigned char* dictionary = normalised ? normalised->data() : src.data();
  const unsigned char* frame = in.data() + kHeaderSize + map_length;
  return decode_zstd_patch_frame(dictionary, src.size(), frame, in.size() - kHeaderSize - map_length, dest,
                                 expected_size, name, Durability::kDurable, [&](unsigned char* data, uint64_t size) {
                                   std::optional<ElfLayout> new_layout = ElfLayout::parse(data, size);
                                   if (!new_layout)
                                     fail(ErrorCode::kVerification, name + ": does not make an x86-64 ELF file");
                                   rewrite(*new_layout, data, *old_layout, old, map, Direction::kRestore);
                                   // Last: the tables are predicted from the restored code and pointers.
                                   rewrite_elf_tables(*new_layout, data, data, TableDirection::kAdd);
                                 });
}

}  // namespace upkeep::delta

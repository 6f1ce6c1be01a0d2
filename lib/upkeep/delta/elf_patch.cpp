#include "upkeep/delta/elf_patch.h"

#include <cstring>
#include <optional>
#include <unordered_map>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
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

constexpr char kMagic[] = "UPKELF01";
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

  std::optional<uint64_t> predict(uint64_t old_target) const {
    if (std::optional<uint64_t> off = old_.offset_of(old_target))
      if (std::optional<uint64_t> n = map_.new_of(*off))
        if (std::optional<uint64_t> addr = new_.address_of(*n)) return addr;
    const ElfSection* s = old_.section_at(old_target);
    if (!s) return std::nullopt;
    auto it = moved_.find(s);
    if (it == moved_.end()) return std::nullopt;
    return old_target + it->second;
  }

 private:
  const ElfLayout& old_;
  const ElfLayout& new_;
  const AddressMap& map_;
  std::unordered_map<const ElfSection*, uint64_t> moved_;
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
// Returns how many values were rewritten.
uint64_t rewrite(const ElfLayout& new_layout, unsigned char* data, const ElfLayout& old_layout, Bytes old,
                 const AddressMap& map, Direction direction) {
  const TargetPredictor predictor(old_layout, new_layout, map);
  AddressMap::Cursor cursor(map);
  uint64_t rewritten = 0;
  for (const ElfRegion& region : new_layout.regions()) {
    if (region.kind != RegionKind::kCode && region.kind != RegionKind::kPointers) continue;  // elf_tables.h's
    const uint64_t end = region.offset + region.size;
    for (uint64_t p = region.offset; p < end;) {
      p = cursor.next_mapped(p);
      if (p >= end) break;
      const uint64_t q = *cursor.old_of(p);
      const ElfRegion* old_region = old_layout.region_at(q);
      const uint64_t addr = region.addr + (p - region.offset);
      if (!old_region || old_region->kind != region.kind) {
        ++p;
        continue;
      }
      const uint64_t old_addr = old_region->addr + (q - old_region->offset);
      const uint64_t old_avail = old_region->offset + old_region->size - q;
      const std::optional<ElfReference> ref = reference_shape(region.kind, old.data + q, old_avail, old_addr);
      const bool fits = ref && ref->length <= end - p && (addr % ref->width == 0 || region.kind == RegionKind::kCode) &&
                        std::memcmp(data + p, old.data + q, std::min<size_t>(ref->value_at, 2)) == 0;
      std::optional<uint64_t> predicted;
      if (fits)
        if (std::optional<uint64_t> old_target = reference_target(old_layout, old.data, q, *old_region, *ref))
          predicted = predictor.predict(*old_target);
      if (!predicted) {
        ++p;
        continue;
      }
      const uint64_t base = ref->base_address(addr);
      const uint64_t old_value = ref->read(old.data + q);
      const uint64_t value = ref->read(data + p);
      if (direction == Direction::kNormalise)
        ref->write(data + p, old_value + (base + value - *predicted));  // the old value when predicted right
      else
        ref->write(data + p, *predicted + (value - old_value) - base);
      ++rewritten;
      p += ref->length;
    }
  }
  return rewritten;
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
  const std::string inner = zstd_patch_frame(src.data(), src.size(), normalised.data(), normalised.size(), what);
  std::string header(kMagic, 8);
  put_le(header, map_frame.size(), 8);
  OutputFile out(dest);
  out.write(header.data(), header.size());
  out.write(map_frame.data(), map_frame.size());
  out.write(inner.data(), inner.size());
  out.commit();
  return true;
}

std::string apply_elf_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                            const std::filesystem::path& dest, uint64_t expected_size) {
  const std::string name = patch.string();
  MappedFile src = MappedFile::open_read_only(source);
  MappedFile in = MappedFile::open_read_only(patch);
  if (in.size() < kHeaderSize || std::memcmp(in.data(), kMagic, 8) != 0)
    fail(ErrorCode::kVerification, name + ": not an elf patch (expected the magic " + std::string(kMagic) + ")");
  const uint64_t map_length = get_le(in.data() + 8, 8);
  if (map_length > in.size() - kHeaderSize)
    fail(ErrorCode::kVerification, name + ": its address map is longer than the patch");
  const auto* map_at = reinterpret_cast<const char*>(in.data() + kHeaderSize);
  // A run is at least 3 bytes: a map larger than the file it maps is not one.
  const AddressMap map = AddressMap::parse(zstd_decompress({map_at, map_length}, expected_size + 1024, name),
                                           src.size(), expected_size, name);
  const unsigned char* frame = in.data() + kHeaderSize + map_length;
  const uint64_t frame_size = in.size() - kHeaderSize - map_length;
  const uint64_t content = zstd_frame_content_size(frame, frame_size, name);
  if (content != expected_size)
    fail(ErrorCode::kVerification,
         name + ": the patch makes " + std::to_string(content) + " bytes, expected " + std::to_string(expected_size));
  std::optional<ElfLayout> old_layout = ElfLayout::parse(src.data(), src.size());
  if (!old_layout)
    fail(ErrorCode::kVerification, name + ": its source " + source.string() + " is not an x86-64 ELF file");

  MappedFile out = MappedFile::create(dest, expected_size);
  RemoveOnFailure guard(dest);
  decode_zstd_patch_frame(src.data(), src.size(), frame, frame_size, out.writable_data(), out.size(), name);
  std::optional<ElfLayout> new_layout = ElfLayout::parse(out.data(), out.size());
  if (!new_layout) fail(ErrorCode::kVerification, name + ": does not make an x86-64 ELF file");
  rewrite(*new_layout, out.writable_data(), *old_layout, {src.data(), src.size()}, map, Direction::kRestore);
  // Last: the tables are predicted from the restored code and pointers.
  rewrite_elf_tables(*new_layout, out.writable_data(), out.data(), TableDirection::kAdd);
  Hasher h;
  h.update(out.data(), out.size());
  out.sync();
  out.close();
  guard.keep();
  return h.hex_digest();
}

}  // namespace upkeep::delta

#include "upkeep/fileinfo/resource_table.h"

#include <algorithm>
#include <set>

#include "upkeep/base/error.h"
#include "upkeep/fileinfo/chunk_reader.h"

namespace upkeep::fileinfo {

namespace {

constexpr size_t kTableHeader = 12;      // ResTable_header
constexpr size_t kPackageHeader = 284;   // ResTable_package without typeIdOffset
constexpr size_t kTypeHeader = 20;       // ResTable_type before its config
constexpr uint8_t kSparse = 0x01;        // ResTable_type::FLAG_SPARSE
constexpr uint8_t kOffset16 = 0x02;      // ResTable_type::FLAG_OFFSET16
constexpr uint16_t kEntryComplex = 0x1;  // ResTable_entry::FLAG_COMPLEX: a bag
constexpr uint16_t kEntryCompact = 0x8;  // ResTable_entry::FLAG_COMPACT: the value inline
constexpr uint32_t kNoEntry = 0xffffffff;

}  // namespace

ResourceTable ResourceTable::parse(std::string_view bytes, std::string_view source) {
  ResourceTable t;
  t.bytes_ = std::string(bytes);
  t.source_ = std::string(source);
  const ChunkReader r(t.bytes_, t.source_);
  if (t.bytes_.size() >= 2 && r.u16(0) != kTableChunk)
    r.bad(0, "resource table", "starts with " + chunk_name(r.u16(0)) + "; expected RES_TABLE_TYPE (0x0002)");
  const Chunk root = r.chunk(0, t.bytes_.size(), "resource table", kTableHeader);
  r.for_each_child(root, root.body(), "table chunk", [&](const Chunk& c) {
    if (c.type == kStringPoolChunk) {
      if (t.has_strings_) r.bad(c.offset, chunk_name(c.type), "a second global string pool; expected one");
      t.strings_ = StringPool::parse(r, c);
      t.has_strings_ = true;
    } else if (c.type == kTablePackageChunk) {
      t.read_package(r, c);
    }
  });
  return t;
}

void ResourceTable::read_package(const ChunkReader& r, const Chunk& c) {
  const std::string what = chunk_name(c.type);
  if (c.header_size < kPackageHeader)
    r.bad(c.offset, what, "header size " + std::to_string(c.header_size) + "; expected at least 284");
  Package p;
  p.id = r.u32(c.offset + 8);
  if (p.id > 0xff) r.bad(c.offset, what, "package id " + hex(p.id) + "; expected one byte (0x7f for an app)");
  if (package(p.id)) r.bad(c.offset, what, "package id " + hex(p.id) + " appears twice; expected it once");
  r.for_each_child(c, c.body(), "package chunk", [&](const Chunk& child) {
    if (child.type == kTableTypeChunk) read_type(r, child, p);
  });
  packages_.push_back(std::move(p));
}

void ResourceTable::read_type(const ChunkReader& r, const Chunk& c, Package& p) {
  const std::string what = chunk_name(c.type);
  if (c.header_size < kTypeHeader + 4)
    r.bad(c.offset, what, "header size " + std::to_string(c.header_size) + "; expected at least 24");
  TypeChunk t;
  const uint8_t id = r.u8(c.offset + 8);
  if (id == 0) r.bad(c.offset, what, "type id 0; expected 1 or more");
  t.offset = c.offset;
  t.end = c.end();
  t.flags = r.u8(c.offset + 9);
  t.entry_count = r.u32(c.offset + 12);
  const uint32_t entries_start = r.u32(c.offset + 16);
  const uint32_t config_size = r.u32(c.offset + kTypeHeader);
  if (config_size < 4 || config_size > c.header_size - kTypeHeader)
    r.bad(c.offset, what,
          "configuration size " + std::to_string(config_size) + "; expected 4 to " +
              std::to_string(c.header_size - kTypeHeader) + " (within the header)");
  const std::string_view config = r.slice(c.offset + kTypeHeader + 4, config_size - 4, c.end(), what);
  t.is_default = std::all_of(config.begin(), config.end(), [](char b) { return b == 0; });
  // Sparse chunks list (index, offset) pairs of 4 bytes; others an offset per entry.
  const uint64_t width = (t.flags & kSparse) ? 4 : (t.flags & kOffset16) ? 2 : 4;
  const uint64_t offsets_end = c.header_size + width * t.entry_count;
  if (offsets_end > entries_start || entries_start > c.size)
    r.bad(c.offset, what,
          std::to_string(t.entry_count) + " entries need an offsets table up to " + std::to_string(offsets_end) +
              ", entries start at " + std::to_string(entries_start) + ", the chunk has " + std::to_string(c.size) +
              " bytes; expected the table, then the entries, within the chunk");
  t.offsets_at = c.body();
  t.entries_at = c.offset + entries_start;
  p.types[id].push_back(t);
}

const ResourceTable::Package* ResourceTable::package(uint32_t id) const {
  // Package 0 is "this package" in a dynamic reference: the only one, if there is only one.
  if (id == 0 && packages_.size() == 1) return &packages_.front();
  for (const Package& p : packages_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

bool ResourceTable::slot(const ChunkReader& r, const TypeChunk& t, uint32_t slot, uint32_t& index,
                         size_t& offset) const {
  if (slot >= t.entry_count) return false;
  if (t.flags & kSparse) {
    index = r.u16(t.offsets_at + 4 * size_t{slot});
    offset = 4 * size_t{r.u16(t.offsets_at + 4 * size_t{slot} + 2)};
    return true;
  }
  index = slot;
  if (t.flags & kOffset16) {
    const uint16_t o = r.u16(t.offsets_at + 2 * size_t{slot});
    offset = 4 * size_t{o};
    return o != 0xffff;
  }
  const uint32_t o = r.u32(t.offsets_at + 4 * size_t{slot});
  offset = o;
  return o != kNoEntry;
}

bool ResourceTable::entry(const TypeChunk& t, uint32_t index, uint32_t id, ResValue& out) const {
  const ChunkReader r(bytes_, source_);
  size_t offset = 0;
  bool found = false;
  if (t.flags & kSparse) {
    uint32_t key = 0;
    for (uint32_t s = 0; s < t.entry_count && !found; ++s) found = slot(r, t, s, key, offset) && key == index;
  } else {
    uint32_t key = 0;
    found = slot(r, t, index, key, offset);
  }
  if (!found) return false;
  const std::string what = "entry of resource " + hex(id) + " (type chunk at " + hex(t.offset) + ")";
  if (offset > t.end - t.entries_at)
    r.bad(t.entries_at, what, "offset " + std::to_string(offset) + " is past the chunk");
  const size_t at = t.entries_at + offset;
  r.slice(at, 8, t.end, what);
  const uint16_t size = r.u16(at), flags = r.u16(at + 2);
  if (flags & kEntryCompact) {
    out.type = static_cast<uint8_t>(flags >> 8);
    out.data = r.u32(at + 4);
    return true;
  }
  if (flags & kEntryComplex) r.bad(at, what, "is a bag (a style, array or plural); expected a single value");
  if (size < 8) r.bad(at, what, "entry size " + std::to_string(size) + "; expected at least 8");
  out = read_res_value(r, at + size, t.end, what);
  return true;
}

ResValue ResourceTable::lookup(uint32_t id) const {
  const Package* p = package(id >> 24);
  if (!p)
    fail(ErrorCode::kBadInput, source_ + ": resource " + hex(id) + " is not in the table (no package " + hex(id >> 24) +
                                   "); expected the APK's resources to define it");
  auto type = p->types.find(static_cast<uint8_t>(id >> 16));
  ResValue v;
  if (type != p->types.end()) {
    for (bool want_default : {true, false}) {
      for (const TypeChunk& t : type->second) {
        if ((!want_default || t.is_default) && entry(t, id & 0xffff, id, v)) return v;
      }
    }
  }
  fail(ErrorCode::kBadInput, source_ + ": resource " + hex(id) +
                                 " is not in the table (no entry in any configuration); expected the APK's "
                                 "resources to define it");
}

ResValue ResourceTable::resolve(uint32_t id) const {
  std::vector<uint32_t> chain;
  auto path = [&] {
    std::string s;
    for (uint32_t step : chain) s += (s.empty() ? "" : " -> ") + hex(step);
    return s;
  };
  for (;;) {
    if (std::find(chain.begin(), chain.end(), id) != chain.end()) {
      chain.push_back(id);
      fail(ErrorCode::kBadInput,
           source_ + ": resource references loop: " + path() + "; expected a chain that ends in a value");
    }
    if (chain.size() >= kMaxReferenceDepth) {
      fail(ErrorCode::kBadInput, source_ + ": resource references " + path() + " go on past " +
                                     std::to_string(kMaxReferenceDepth) + " steps; expected a short chain to a value");
    }
    chain.push_back(id);
    ResValue v = lookup(id);
    if (v.is_reference() && v.data != 0) {
      id = v.data;
      continue;
    }
    if (v.type == kTypeString) {
      if (!has_strings_)
        fail(ErrorCode::kBadInput, source_ + ": resource " + hex(id) + " is a string but the table has no string pool");
      v.string = strings_.at(v.data, "resource " + hex(id));
    }
    return v;
  }
}

std::vector<uint32_t> ResourceTable::ids(size_t max) const {
  const ChunkReader r(bytes_, source_);
  std::vector<uint32_t> out;
  std::set<uint32_t> seen;
  for (const Package& p : packages_) {
    for (const auto& [type_id, chunks] : p.types) {
      for (const TypeChunk& t : chunks) {
        for (uint32_t s = 0; s < t.entry_count && out.size() < max; ++s) {
          uint32_t index = 0;
          size_t offset = 0;
          const uint32_t id = p.id << 24 | uint32_t{type_id} << 16;
          if (slot(r, t, s, index, offset) && index <= 0xffff && seen.insert(id | index).second)
            out.push_back(id | index);
        }
      }
    }
  }
  return out;
}

}  // namespace upkeep::fileinfo

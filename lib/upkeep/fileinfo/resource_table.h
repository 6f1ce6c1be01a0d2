// ResourceTable: an APK's compiled resources (resources.arsc, RES_TABLE_TYPE),
// read from bytes we do not trust, to look up what a resource id such as
// @string/version_name (0x7f020001) holds.
//
// parse() walks the whole table: the global string pool, each package
// (RES_TABLE_PACKAGE_TYPE) and its type chunks (RES_TABLE_TYPE_TYPE), checking
// every chunk header, each type chunk's entry count and offsets table against
// the chunk, or throws Error(kBadInput) naming the source, the chunk, its
// offset and what was expected. resolve() reads one entry on demand (its
// offset and value bounds-checked then) and follows references.
// Immutable after parse(): any thread may call resolve(); the table keeps a
// copy of the bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/fileinfo/res_value.h"
#include "upkeep/fileinfo/string_pool.h"

namespace upkeep::fileinfo {

class ResourceTable {
 public:
  // References followed from one id before resolve() gives up.
  static constexpr int kMaxReferenceDepth = 8;

  static ResourceTable parse(std::string_view bytes, std::string_view source);

  // The value of resource `id` in the default configuration (no qualifier:
  // what Android picks when nothing more specific matches), or, when the
  // default holds no entry for it, in the first configuration that does;
  // references followed (at most kMaxReferenceDepth; a loop is refused); a
  // string's text resolved. Error(kBadInput) when the id is not in the table,
  // names a bag (a style or array) or the chain loops or is too long.
  ResValue resolve(uint32_t id) const;

  // Up to `max` ids the table holds an entry for (in any configuration), in table order: for tools and fuzzing.
  std::vector<uint32_t> ids(size_t max) const;

 private:
  struct TypeChunk {
    size_t offset = 0, end = 0;
    size_t offsets_at = 0, entries_at = 0;
    uint32_t entry_count = 0;
    uint8_t flags = 0;
    bool is_default = false;
  };
  struct Package {
    uint32_t id = 0;
    std::map<uint8_t, std::vector<TypeChunk>> types;  // by type id, in table order
  };

  void read_package(const ChunkReader& r, const Chunk& c);
  void read_type(const ChunkReader& r, const Chunk& c, Package& package);
  // The offset (from entries_at) of the entry at `slot` of `type`; false for none. Sparse chunks: `slot`'s index in
  // `index`.
  bool slot(const ChunkReader& r, const TypeChunk& type, uint32_t slot, uint32_t& index, size_t& offset) const;
  const Package* package(uint32_t id) const;
  // Entry `index` of `type`: false when the chunk holds no entry there.
  bool entry(const TypeChunk& type, uint32_t index, uint32_t id, ResValue& out) const;
  ResValue lookup(uint32_t id) const;

  std::string bytes_;
  std::string source_;
  StringPool strings_;
  bool has_strings_ = false;
  std::vector<Package> packages_;
};

}  // namespace upkeep::fileinfo

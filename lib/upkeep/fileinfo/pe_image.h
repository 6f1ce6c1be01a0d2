// PeImage: the parts of a Windows PE file (exe, dll) that lead to one of
// its resources, read without Windows: DOS header -> PE header -> optional
// header (PE32 and PE32+) -> section table -> resource directory.
//
// Nothing in the file is trusted: every offset, size and count is checked
// against the bytes, a resource directory entry that points back to itself
// or an ancestor and a directory with more entries than fit (or than
// kMaxResourceEntries) are refused. Failures are Error(kBadInput) naming the
// file, the structure, its offset and what was expected. A value over bytes
// it does not own (they must outlive it); immutable after construction, so
// safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upkeep/fileinfo/byte_view.h"

namespace upkeep::fileinfo {

class PeImage {
 public:
  static constexpr uint16_t kRtVersion = 16;
  // More entries in one resource directory than this is refused (real files have a few hundred).
  static constexpr uint32_t kMaxResourceEntries = 16384;

  // Reads the headers and the section table; Error(kBadInput) when they are not those of a PE file.
  explicit PeImage(const ByteView& file);

  bool is_pe32_plus() const { return pe32_plus_; }
  // The data of the first resource of this type id (first name, first
  // language), or nullopt when the file has no resource of that type.
  std::optional<std::string_view> find_resource(uint16_t type_id) const;

 private:
  struct Section {
    uint32_t virtual_address = 0;
    uint32_t virtual_size = 0;
    uint32_t raw_size = 0;
    uint32_t raw_offset = 0;
  };
  struct ResourceEntry {
    uint32_t name = 0;    // an id, or (high bit) the offset of a name string
    uint32_t target = 0;  // (high bit) a subdirectory, else a data entry: offset in the resource view
  };

  void read_optional_header(uint64_t offset, uint16_t size);
  void read_sections(uint64_t offset, uint16_t count);
  // The file's bytes from `rva` to the end of the section holding it (nullopt: in no section's raw data).
  std::optional<std::string_view> at_rva(uint64_t rva) const;
  std::vector<ResourceEntry> directory(const ByteView& resources, uint32_t offset) const;
  uint32_t subdirectory(const ByteView& resources, const ResourceEntry& e, const std::vector<uint32_t>& path,
                        std::string_view level) const;

  ByteView file_;
  bool pe32_plus_ = false;
  uint32_t resource_rva_ = 0;
  uint32_t resource_size_ = 0;
  std::vector<Section> sections_;
};

}  // namespace upkeep::fileinfo

// AddressMap: which bytes of a new file are which bytes of the old one, as
// runs (new offset, old offset, length), so that the elf patch
// (elf_patch.h) can predict where an old reference's target went.
//
// The vendor builds it from the two files with their reference values
// masked (build()): content-defined anchors (a gear rolling hash) unique in
// the old file seed runs that grow while the masked bytes agree, and runs
// with the same shift a small gap apart are joined. The map is stored in the
// patch (serialize()); the client parses it (parse(), Error(kVerification)
// for a map that is malformed or points outside either file).
// Immutable once made; thread-safe to read. A Cursor is one thread's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace upkeep::delta {

class AddressMap {
 public:
  struct Run {
    uint64_t new_offset;
    uint64_t old_offset;
    uint64_t length;
  };

  // Runs found by content; new bytes inside any of `exclude` (new offset,
  // length) are left to `extra`, runs known some other way (elf_symbols.h).
  static AddressMap build(const unsigned char* old_data, uint64_t old_size, const unsigned char* new_data,
                          uint64_t new_size, const std::vector<std::pair<uint64_t, uint64_t>>& exclude = {},
                          std::vector<Run> extra = {});
  std::string serialize() const;
  static AddressMap parse(std::string_view bytes, uint64_t old_size, uint64_t new_size, const std::string& what);

  const std::vector<Run>& runs() const { return runs_; }
  // The new offset the old offset `old_offset` went to, if any run holds it
  // (where runs overlap in the old file, the one starting first there).
  std::optional<uint64_t> new_of(uint64_t old_offset) const;

  // Walks new offsets upward: old_of(p) for non-decreasing p.
  class Cursor {
   public:
    explicit Cursor(const AddressMap& map) : runs_(map.runs_) {}
    std::optional<uint64_t> old_of(uint64_t new_offset);
    // The first run that ends after `new_offset` (nullptr: none).
    const Run* run_from(uint64_t new_offset);

   private:
    const std::vector<Run>& runs_;
    size_t at_ = 0;
  };

 private:
  explicit AddressMap(std::vector<Run> runs);

  std::vector<Run> runs_;    // sorted by new_offset, disjoint there
  std::vector<Run> by_old_;  // the same, clipped to be disjoint in the old file, sorted by old_offset
};

}  // namespace upkeep::delta

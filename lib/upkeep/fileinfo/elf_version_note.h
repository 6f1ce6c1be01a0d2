// ElfVersionNote: the version an ELF program (or library) states about
// itself in a note: section ".note.upkeep.version", note owner "upkeep",
// type 1, descriptor the version string (UTF-8, a terminating NUL is
// allowed but not needed). How a vendor adds one: docs/vendor-guide.md,
// "Version of a program file".
//
// ELF32 and ELF64, little- and big-endian; every offset, size and count is
// checked against the file (Error(kBadInput) naming the structure and what
// was expected). Stateless functions: safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::fileinfo {

struct ElfVersionNote {
  static constexpr std::string_view kSection = ".note.upkeep.version";
  static constexpr std::string_view kOwner = "upkeep";
  static constexpr uint32_t kType = 1;
  static constexpr uint64_t kMaxVersionBytes = 256;  // a longer descriptor is refused
  static constexpr uint64_t kMaxFileSize = uint64_t{1} << 40;

  // The note's version string, or nullopt when the file has no such note.
  static std::optional<std::string> read(const std::filesystem::path& file);
  // The same from the file's bytes; `name` names it in messages.
  static std::optional<std::string> parse(std::string_view bytes, const std::string& name);
};

}  // namespace upkeep::fileinfo

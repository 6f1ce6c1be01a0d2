// PeVersionInfo: the VERSIONINFO resource of a Windows PE file (exe, dll),
// read without Windows (PeImage finds the RT_VERSION resource).
//
// What it reads: VS_FIXEDFILEINFO's FileVersion and ProductVersion as
// "a.b.c.d" (four 16-bit numbers), and the strings of the first
// StringFileInfo string table (FileVersion, ProductVersion, ProductName,
// CompanyName, ...), UTF-16 turned into UTF-8. After success the fields hold
// what the file says (a field the file lacks is empty); failures throw
// Error(kBadInput) naming the block, its offset and what was expected, or
// Error(kNotFound) "no VERSIONINFO resource" for a PE file without one.
// A plain value: safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::fileinfo {

struct PeVersionInfo {
  // The largest file read() maps (a PE image cannot be larger: its offsets are 32-bit).
  static constexpr uint64_t kMaxFileSize = uint64_t{1} << 32;

  std::optional<std::string> file_version;     // VS_FIXEDFILEINFO, "1.2.3.4"
  std::optional<std::string> product_version;  // VS_FIXEDFILEINFO, "2.0.0.0"
  std::string string_table;                    // the key of the table read, e.g. "040904b0" (empty: none)
  std::map<std::string, std::string> strings;  // "ProductVersion" -> "2.0.0-rc.1", ...

  // Reads the file (mapped; more than kMaxFileSize bytes is refused).
  static PeVersionInfo read(const std::filesystem::path& file);
  // Reads a PE file's bytes; `name` names it in messages.
  static PeVersionInfo parse(std::string_view bytes, const std::string& name);
  // Reads a VS_VERSIONINFO block (the RT_VERSION resource's data).
  static PeVersionInfo parse_block(std::string_view block, const std::string& name);

  std::optional<std::string> string(const std::string& key) const;
};

}  // namespace upkeep::fileinfo

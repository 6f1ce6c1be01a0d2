// A zip archive's central directory (APPNOTE.TXT 4.3), read by our own
// code; used by package.cpp and by fileinfo/apk_archive.cpp (APKs).
//
// We read the central directory ourselves because Poco's ZipArchive keeps
// entries in a map (a duplicate name asserts instead of being reported) and
// does not expose the external attributes that mark symlinks. Every failure
// to read is Error(kBadInput) naming the archive. One object per thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep::zip {

// Record signatures (APPNOTE.TXT 4.3), shared with zip_writer.h.
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kEnd64LocatorSig = 0x07064b50;
constexpr uint32_t kEnd64Sig = 0x06064b50;
constexpr uint32_t kUnixHost = 3;  // "version made by" high byte: st_mode in the external attributes

// File types in the high 16 bits of an entry's external attributes (st_mode).
constexpr uint32_t kTypeMask = 0170000, kTypeRegular = 0100000, kTypeDir = 0040000, kTypeSymlink = 0120000;

struct CentralEntry {
  std::string name;
  uint32_t made_by = 0, flags = 0, method = 0, external = 0, crc32 = 0;
  uint64_t compressed = 0, uncompressed = 0;
  uint64_t local_offset = 0;  // of the entry's local header in the archive
};

struct CentralDirectory {
  std::vector<CentralEntry> entries;
};

// Random-access reads of a whole zip file.
class ZipFile {
 public:
  explicit ZipFile(const std::filesystem::path& path);
  ~ZipFile();
  ZipFile(const ZipFile&) = delete;
  ZipFile& operator=(const ZipFile&) = delete;
  uint64_t size() const { return static_cast<uint64_t>(size_); }
  std::string read(uint64_t at, uint64_t n);
  [[noreturn]] void corrupt(const std::string& why) const;

 private:
  std::filesystem::path path_;
  std::FILE* f_;
  long size_ = 0;
};

CentralDirectory read_central_directory(ZipFile& zip);

// Names as they appear in messages: control bytes escaped so a hostile name cannot forge log lines.
std::string printable(std::string_view name);

}  // namespace upkeep::zip

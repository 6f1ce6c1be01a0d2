// ApkArchive: reads single files out of an APK (a zip archive), for the
// version readers of apk_manifest.h. The central directory is read once by
// update/zip_directory.h; each file is read from its local header and
// inflated with zlib into memory, never past a cap the caller sets, so a
// small archive cannot expand into gigabytes (a zip bomb).
//
// Every failure is Error(kBadInput) naming the archive and the file: a
// damaged or encrypted entry, a name found twice (which copy Android would
// use is ambiguous, a known way to smuggle a second manifest), a method other
// than stored or deflate, data past the cap or past its declared size, a
// CRC-32 that does not match. One object per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "upkeep/update/zip_directory.h"

namespace upkeep::fileinfo {

class ApkArchive {
 public:
  explicit ApkArchive(const std::filesystem::path& apk);

  // The content of the file `name`, at most `cap` bytes once inflated;
  // nullopt when the archive holds no such file.
  std::optional<std::string> read(std::string_view name, uint64_t cap);

 private:
  std::string inflate(const zip::CentralEntry& e, uint64_t at);
  [[noreturn]] void bad(std::string_view name, const std::string& why) const;

  std::filesystem::path path_;
  zip::ZipFile zip_;
  zip::CentralDirectory directory_;
};

}  // namespace upkeep::fileinfo

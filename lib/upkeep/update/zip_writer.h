// ZipWriter: writes a zip archive (APPNOTE.TXT 4.3) entry by entry, each
// deflated, with Info-ZIP's Unix attributes (host Unix, st_mode in the high
// 16 bits of the external attributes) and a fixed time stamp, so the same
// entries always give the same bytes. Zip64 records are written only where a
// size, an offset or the entry count needs them.
//
// Why our own writer: a release deflates its whole folder once for
// package.zip, beside the blobs, and zlib's deflate at level 6 was a sixth of
// the release's CPU. libdeflate makes the same format about 3.5x faster and
// slightly smaller, but only from a whole buffer: files up to
// kWholeFileDeflateMax are mapped and deflated by libdeflate, larger ones
// stream through zlib in bounded memory. Readers: package.cpp (Poco's
// ZipArchive and zip_directory.h), unzip, Python's zipfile.
//
// One thread. Nothing is complete before finish(); after a failure (an
// Error naming the archive, kNoSpace on a full disk) the caller removes the
// file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "upkeep/platform/fs.h"

struct libdeflate_compressor;

namespace upkeep::zip {

// Files up to this size are deflated whole by libdeflate (mapped, plus an
// output buffer of about their size); larger ones stream through zlib.
constexpr uint64_t kWholeFileDeflateMax = 128ull << 20;

class ZipWriter {
 public:
  // Creates (or empties) `path`. `level` is the deflate level, 1-9.
  ZipWriter(const std::filesystem::path& path, int level);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // A regular file read from `source`, with permission bits `mode` (07777).
  void add_file(const std::string& name, const std::filesystem::path& source, uint32_t mode);
  // A symbolic link: an entry of type S_IFLNK whose content is its target.
  void add_link(const std::string& name, const std::string& target);
  // Writes the central directory and the end records.
  void finish();

  // Tests: every entry and the end records in zip64 form, whatever the sizes.
  void force_zip64() { force_zip64_ = true; }

 private:
  struct Entry {
    std::string name;
    uint32_t st_mode = 0, crc32 = 0;
    uint64_t compressed = 0, uncompressed = 0, offset = 0;
    bool zip64 = false;  // sizes in a zip64 field, in the local header and the central one
  };
  void write_local_header(const Entry& e);
  void patch_local_header(const Entry& e);
  void deflate_whole(Entry& e, const unsigned char* data, uint64_t size);
  void deflate_stream(Entry& e, const std::filesystem::path& source);
  void write(const char* data, size_t n);
  void write(const std::string& bytes) { write(bytes.data(), bytes.size()); }

  fs::File out_;
  int level_;
  uint64_t at_ = 0;  // bytes written so far
  std::vector<Entry> entries_;
  libdeflate_compressor* compressor_ = nullptr;
  bool force_zip64_ = false;
};

}  // namespace upkeep::zip

#include "upkeep/update/zip_writer.h"

#include <libdeflate.h>
#include <zlib.h>

#include <memory>

#include "upkeep/base/error.h"
#include "upkeep/delta/io.h"
#include "upkeep/platform/mapped_file.h"
#include "upkeep/update/zip_directory.h"

namespace upkeep::zip {

namespace stdfs = std::filesystem;
using delta::put_le;

namespace {

constexpr uint32_t kSaturated32 = 0xffffffffu;
constexpr uint16_t kZip64Tag = 0x0001;
constexpr uint16_t kNeeds20 = 20, kNeeds45 = 45;  // deflate; zip64
constexpr uint16_t kUtf8Names = 0x0800;           // general purpose flag bit 11
constexpr uint16_t kDeflated = 8;
constexpr uint16_t kDosDate1980 = 0x21;  // 1980-01-01, time 00:00
// Deflate can grow incompressible data by a few bytes per 64 KiB: an entry
// this large could pass 4 GiB compressed, so its sizes go in a zip64 field.
constexpr uint64_t kZip64EntryMin = 0xfff00000ull;
constexpr size_t kStreamChunk = 1 << 20;

void put16(std::string& b, uint64_t v) { put_le(b, v, 2); }
void put32(std::string& b, uint64_t v) { put_le(b, v, 4); }
void put64(std::string& b, uint64_t v) { put_le(b, v, 8); }

// The fields local and central headers share, from "version needed" to the
// name's length.
void put_entry_fields(std::string& b, uint16_t needs, uint32_t crc32, bool zip64_sizes, uint64_t compressed,
                      uint64_t uncompressed, size_t name_size) {
  put16(b, needs);
  put16(b, kUtf8Names);
  put16(b, kDeflated);
  put16(b, 0);
  put16(b, kDosDate1980);
  put32(b, crc32);
  put32(b, zip64_sizes ? kSaturated32 : compressed);
  put32(b, zip64_sizes ? kSaturated32 : uncompressed);
  put16(b, name_size);
}

// The archive, opened once the level is known to be good: a bad level leaves no file.
fs::File open_archive(const stdfs::path& path, int level) {
  if (level < 1 || level > 9) fail(ErrorCode::kUsage, "deflate level " + std::to_string(level) + " is outside 1-9");
  return fs::File(path);
}

}  // namespace

ZipWriter::ZipWriter(const stdfs::path& path, int level) : out_(open_archive(path, level)), level_(level) {
  out_.truncate(0);
  compressor_ = libdeflate_alloc_compressor(level);
  if (!compressor_) fail(ErrorCode::kFailure, path.string() + ": cannot allocate a deflate compressor");
}

ZipWriter::~ZipWriter() { libdeflate_free_compressor(compressor_); }

void ZipWriter::write(const char* data, size_t n) {
  out_.write(data, n);
  at_ += n;
}

// The local header, with the sizes and CRC already known (whole files) or
// placeholders patch_local_header() fills in (streamed files).
void ZipWriter::write_local_header(const Entry& e) {
  std::string b;
  put32(b, kLocalSig);
  put_entry_fields(b, e.zip64 ? kNeeds45 : kNeeds20, e.crc32, e.zip64, e.compressed, e.uncompressed, e.name.size());
  put16(b, e.zip64 ? 20 : 0);
  b += e.name;
  if (e.zip64) {
    put16(b, kZip64Tag);
    put16(b, 16);
    put64(b, e.uncompressed);
    put64(b, e.compressed);
  }
  write(b);
}

void ZipWriter::patch_local_header(const Entry& e) {
  std::string crc, sizes;
  put32(crc, e.crc32);
  out_.seek(e.offset + 14);
  out_.write(crc.data(), crc.size());
  if (e.zip64) {
    put64(sizes, e.uncompressed);
    put64(sizes, e.compressed);
    out_.seek(e.offset + 30 + e.name.size() + 4);
  } else {
    put32(sizes, e.compressed);
    put32(sizes, e.uncompressed);
    out_.seek(e.offset + 18);
  }
  out_.write(sizes.data(), sizes.size());
  out_.seek(at_);
}

void ZipWriter::deflate_whole(Entry& e, const unsigned char* data, uint64_t size) {
  const size_t bound = libdeflate_deflate_compress_bound(compressor_, size);
  const auto packed = std::make_unique_for_overwrite<char[]>(bound);  // up to the file's size: not zero-filled
  const size_t n = libdeflate_deflate_compress(compressor_, data, size, packed.get(), bound);
  if (n == 0) fail(ErrorCode::kFailure, out_.path().string() + ": deflate of " + e.name + " did not fit its bound");
  e.crc32 = libdeflate_crc32(0, data, size);
  e.compressed = n;
  write_local_header(e);
  write(packed.get(), n);
}

void ZipWriter::deflate_stream(Entry& e, const stdfs::path& source) {
  z_stream z{};
  if (deflateInit2(&z, level_, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    fail(ErrorCode::kFailure, out_.path().string() + ": cannot start zlib's deflate");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, deflateEnd);
  write_local_header(e);
  const delta::InputFile in(source);
  std::string ibuf(kStreamChunk, '\0'), obuf(kStreamChunk, '\0');
  uint64_t read = 0;
  uint32_t crc = 0;
  for (int flush = Z_NO_FLUSH; flush != Z_FINISH;) {
    const size_t n = in.read_at(read, ibuf.data(), ibuf.size());
    read += n;
    crc = libdeflate_crc32(crc, ibuf.data(), n);
    flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = reinterpret_cast<Bytef*>(ibuf.data());
    z.avail_in = static_cast<uInt>(n);
    do {
      z.next_out = reinterpret_cast<Bytef*>(obuf.data());
      z.avail_out = static_cast<uInt>(obuf.size());
      deflate(&z, flush);
      const size_t made = obuf.size() - z.avail_out;
      write(obuf.data(), made);
      e.compressed += made;
    } while (z.avail_out == 0);
  }
  if (read != e.uncompressed)
    fail(ErrorCode::kFailure, source.string() + ": changed size while it was zipped (" + std::to_string(read) +
                                  " bytes, expected " + std::to_string(e.uncompressed) + ")");
  e.crc32 = crc;
  patch_local_header(e);
}

void ZipWriter::add_file(const std::string& name, const stdfs::path& source, uint32_t mode) {
  Entry e{.name = name, .st_mode = kTypeRegular | (mode & 07777), .offset = at_};
  std::error_code ec;
  e.uncompressed = stdfs::file_size(source, ec);
  if (ec) fail(ErrorCode::kFailure, "cannot read " + source.string() + ": " + ec.message());
  e.zip64 = force_zip64_ || e.uncompressed >= kZip64EntryMin;
  if (e.uncompressed == 0) {
    deflate_whole(e, nullptr, 0);
  } else if (e.uncompressed <= kWholeFileDeflateMax) {
    const MappedFile map = MappedFile::open_read_only(source);
    if (map.size() != e.uncompressed) fail(ErrorCode::kFailure, source.string() + ": changed size while it was zipped");
    deflate_whole(e, map.data(), map.size());
  } else {
    deflate_stream(e, source);
  }
  entries_.push_back(std::move(e));
}

void ZipWriter::add_link(const std::string& name, const std::string& target) {
  Entry e{.name = name, .st_mode = kTypeSymlink | 0777, .uncompressed = target.size(), .offset = at_};
  e.zip64 = force_zip64_;
  deflate_whole(e, reinterpret_cast<const unsigned char*>(target.data()), target.size());
  entries_.push_back(std::move(e));
}

void ZipWriter::finish() {
  const uint64_t cd_offset = at_;
  std::string cd;
  for (const Entry& e : entries_) {
    const bool far = force_zip64_ || e.offset >= kSaturated32;
    std::string extra;
    if (e.zip64 || far) {
      put16(extra, kZip64Tag);
      put16(extra, (e.zip64 ? 16 : 0) + (far ? 8 : 0));
      if (e.zip64) {
        put64(extra, e.uncompressed);
        put64(extra, e.compressed);
      }
      if (far) put64(extra, e.offset);
    }
    const uint16_t needs = e.zip64 || far ? kNeeds45 : kNeeds20;
    put32(cd, kCentralSig);
    put16(cd, (kUnixHost << 8) | needs);
    put_entry_fields(cd, needs, e.crc32, e.zip64, e.compressed, e.uncompressed, e.name.size());
    put16(cd, extra.size());
    put16(cd, 0);  // comment
    put16(cd, 0);  // disk
    put16(cd, 0);  // internal attributes
    put32(cd, static_cast<uint64_t>(e.st_mode) << 16);
    put32(cd, far ? kSaturated32 : e.offset);
    cd += e.name;
    cd += extra;
  }
  write(cd);
  const uint64_t count = entries_.size(), cd_size = cd.size(), end64_offset = at_;
  const bool zip64 = force_zip64_ || count >= 0xffff || cd_size >= kSaturated32 || cd_offset >= kSaturated32;
  std::string end;
  if (zip64) {
    put32(end, kEnd64Sig);
    put64(end, 44);  // the record's size after this field
    put16(end, (kUnixHost << 8) | kNeeds45);
    put16(end, kNeeds45);
    put32(end, 0);  // this disk
    put32(end, 0);  // the central directory's disk
    put64(end, count);
    put64(end, count);
    put64(end, cd_size);
    put64(end, cd_offset);
    put32(end, kEnd64LocatorSig);
    put32(end, 0);
    put64(end, end64_offset);
    put32(end, 1);  // disks
  }
  put32(end, kEndSig);
  put16(end, 0);
  put16(end, 0);
  put16(end, zip64 ? 0xffff : count);
  put16(end, zip64 ? 0xffff : count);
  put32(end, zip64 ? kSaturated32 : cd_size);
  put32(end, zip64 ? kSaturated32 : cd_offset);
  put16(end, 0);  // comment
  write(end);
}

}  // namespace upkeep::zip

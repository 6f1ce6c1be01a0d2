#include "upkeep/fileinfo/apk_archive.h"

#include <zlib.h>

#include <algorithm>
#include <memory>

#include "upkeep/base/error.h"

namespace upkeep::fileinfo {

namespace {

using zip::kLocalSig;
constexpr size_t kLocalFixed = 30;
constexpr uint64_t kReadBlock = 64 << 10;

uint32_t le(const std::string& b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

ApkArchive::ApkArchive(const std::filesystem::path& apk) : path_(apk), zip_(apk) {
  directory_ = zip::read_central_directory(zip_);
}

void ApkArchive::bad(std::string_view name, const std::string& why) const {
  fail(ErrorCode::kBadInput, path_.string() + ": " + zip::printable(name) + " " + why);
}

std::optional<std::string> ApkArchive::read(std::string_view name, uint64_t cap) {
  const zip::CentralEntry* found = nullptr;
  for (const zip::CentralEntry& e : directory_.entries) {
    if (e.name != name) continue;
    if (found) bad(name, "appears twice in the archive; expected it once");
    found = &e;
  }
  if (!found) return std::nullopt;
  const zip::CentralEntry& e = *found;
  if (e.flags & 1) bad(name, "is encrypted; expected a plain entry");
  if (e.uncompressed > cap)
    bad(name, "inflates to " + std::to_string(e.uncompressed) + " bytes, more than the " + mib(cap) +
                  " this reader accepts; refused (a real one is far smaller)");
  const std::string local = zip_.read(e.local_offset, kLocalFixed);
  if (le(local, 0, 4) != kLocalSig)
    bad(name, "has no local header at " + std::to_string(e.local_offset) + "; expected the zip signature PK\\3\\4");
  const uint64_t data_at = e.local_offset + kLocalFixed + le(local, 26, 2) + le(local, 28, 2);
  if (e.method == 0) {
    if (e.compressed != e.uncompressed) bad(name, "is stored with two different sizes; expected one");
    std::string data = zip_.read(data_at, e.uncompressed);
    if (crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())) != e.crc32)
      bad(name, "does not match its CRC-32; expected an intact entry");
    return data;
  }
  if (e.method != 8) bad(name, "uses compression method " + std::to_string(e.method) + "; expected stored or deflate");
  return inflate(e, data_at);
}

std::string ApkArchive::inflate(const zip::CentralEntry& e, uint64_t at) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail(ErrorCode::kFailure, "zlib: cannot start inflating");
  std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  std::string out;
  std::string in;
  uint64_t left = e.compressed;
  int rc = Z_OK;
  char buf[1 << 15];
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0) {
      if (left == 0) bad(e.name, "ends before its deflate stream does (truncated?)");
      in = zip_.read(at, std::min(left, kReadBlock));
      at += in.size(), left -= in.size();
      z.next_in = reinterpret_cast<Bytef*>(in.data());
      z.avail_in = static_cast<uInt>(in.size());
    }
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = ::inflate(&z, Z_NO_FLUSH);
    if ((rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) || (rc == Z_BUF_ERROR && z.avail_in != 0))
      bad(e.name, std::string("cannot be inflated (") + (z.msg ? z.msg : "zlib error") + ")");
    const size_t got = sizeof buf - z.avail_out;
    // Never hold more than the declared size, itself under the cap: a lying header cannot make a bomb.
    if (got > e.uncompressed - out.size())
      bad(e.name, "inflates past its declared size of " + std::to_string(e.uncompressed) +
                      " bytes; refused (a zip bomb or a damaged entry)");
    out.append(buf, got);
  }
  if (out.size() != e.uncompressed)
    bad(e.name,
        "inflates to " + std::to_string(out.size()) + " bytes; its header says " + std::to_string(e.uncompressed));
  if (crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())) != e.crc32)
    bad(e.name, "does not match its CRC-32; expected an intact entry");
  return out;
}

}  // namespace upkeep::fileinfo

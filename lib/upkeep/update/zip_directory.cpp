#include "upkeep/update/zip_directory.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "upkeep/base/error.h"

namespace upkeep::zip {

namespace stdfs = std::filesystem;

namespace {

constexpr size_t kCentralFixed = 46;
constexpr size_t kEndFixed = 22;
constexpr uint64_t kMaxCentralDirectory = 64u << 20;  // far above any real release, bounds memory

uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
  return v;
}

}  // namespace

std::string printable(std::string_view name) {
  std::string out;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

ZipFile::ZipFile(const stdfs::path& path) : path_(path), f_(std::fopen(path.c_str(), "rb")) {
  if (!f_) fail(ErrorCode::kBadInput, path.string() + ": cannot open the archive: " + std::strerror(errno));
  if (std::fseek(f_, 0, SEEK_END) != 0 || (size_ = std::ftell(f_)) < 0) {
    std::fclose(f_);
    corrupt("cannot find its size");
  }
}

ZipFile::~ZipFile() { std::fclose(f_); }

std::string ZipFile::read(uint64_t at, uint64_t n) {
  if (at > size() || n > size() - at) corrupt("a record points past the end of the file");
  std::string buf(n, '\0');
  if (std::fseek(f_, static_cast<long>(at), SEEK_SET) != 0 || std::fread(buf.data(), 1, n, f_) != n) {
    corrupt("read error");
  }
  return buf;
}

void ZipFile::corrupt(const std::string& why) const {
  fail(ErrorCode::kBadInput, path_.string() + ": not a readable zip archive (" + why + ")");
}

CentralDirectory read_central_directory(ZipFile& zip) {
  // The end record is the last 22 bytes plus a comment of at most 64 KiB.
  uint64_t tail_len = std::min<uint64_t>(zip.size(), kEndFixed + 0xffff);
  if (tail_len < kEndFixed) zip.corrupt("too short");
  uint64_t tail_at = zip.size() - tail_len;
  std::string tail = zip.read(tail_at, tail_len);
  size_t end = std::string::npos;
  for (size_t i = tail.size() - kEndFixed + 1; i-- > 0;) {
    if (le(tail, i, 4) == kEndSig && i + kEndFixed + le(tail, i + 20, 2) == tail.size()) {
      end = i;
      break;
    }
  }
  if (end == std::string::npos) zip.corrupt("no end of central directory record");
  if (le(tail, end + 4, 2) != 0 || le(tail, end + 6, 2) != 0) zip.corrupt("multi-disk archives are not supported");
  uint64_t count = le(tail, end + 10, 2), size = le(tail, end + 12, 4), offset = le(tail, end + 16, 4);
  if (count == 0xffff || size == 0xffffffff || offset == 0xffffffff) {
    if (tail_at + end < 20) zip.corrupt("zip64 locator missing");
    std::string loc = zip.read(tail_at + end - 20, 20);
    if (le(loc, 0, 4) != kEnd64LocatorSig) zip.corrupt("zip64 locator missing");
    std::string end64 = zip.read(le(loc, 8, 8), 56);
    if (le(end64, 0, 4) != kEnd64Sig) zip.corrupt("bad zip64 end record");
    count = le(end64, 32, 8), size = le(end64, 40, 8), offset = le(end64, 48, 8);
  }
  if (size > kMaxCentralDirectory || count > size / kCentralFixed) zip.corrupt("implausible central directory size");
  CentralDirectory cd;
  const std::string b = zip.read(offset, size);
  size_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (at + kCentralFixed > b.size() || le(b, at, 4) != kCentralSig) zip.corrupt("bad central directory entry");
    CentralEntry e;
    e.made_by = static_cast<uint32_t>(le(b, at + 4, 2));
    e.flags = static_cast<uint32_t>(le(b, at + 8, 2));
    e.method = static_cast<uint32_t>(le(b, at + 10, 2));
    e.crc32 = static_cast<uint32_t>(le(b, at + 16, 4));
    e.compressed = le(b, at + 20, 4);
    e.uncompressed = le(b, at + 24, 4);
    size_t name_len = le(b, at + 28, 2), extra_len = le(b, at + 30, 2), comment_len = le(b, at + 32, 2);
    e.external = static_cast<uint32_t>(le(b, at + 38, 4));
    e.local_offset = le(b, at + 42, 4);
    if (at + kCentralFixed + name_len + extra_len + comment_len > b.size()) zip.corrupt("truncated central directory");
    e.name = b.substr(at + kCentralFixed, name_len);
    // Zip64 extended information: only the fields whose 32-bit value is saturated are present.
    size_t x = at + kCentralFixed + name_len, x_end = x + extra_len;
    while (x + 4 <= x_end) {
      size_t tag = le(b, x, 2), len = le(b, x + 2, 2), p = x + 4;
      if (p + len > x_end) zip.corrupt("bad extra field in entry '" + printable(e.name) + "'");
      if (tag == 1) {
        for (uint64_t* v : {&e.uncompressed, &e.compressed, &e.local_offset}) {
          if (*v != 0xffffffff) continue;
          if (p + 8 > x + 4 + len) zip.corrupt("bad zip64 field in entry '" + printable(e.name) + "'");
          *v = le(b, p, 8), p += 8;
        }
      }
      x += 4 + len;
    }
    cd.entries.push_back(std::move(e));
    at += kCentralFixed + name_len + extra_len + comment_len;
  }
  return cd;
}

}  // namespace upkeep::zip

#include "upkeep/delta/gzip_member.h"

#include <zlib.h>

#include <array>
#include <cstring>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/gnu_deflate.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr size_t kMaxHeader = 64 * 1024;  // a file name or comment longer than this is not worth a patch
constexpr size_t kChunk = 64 * 1024;

struct Mismatch {};  // ends a comparing gnu_deflate early

uint32_t get_u32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

// RFC 1952 section 2.3: the header's length, or 0 when it is not one.
size_t header_length(const InputFile& in) {
  std::vector<unsigned char> h(std::min<uint64_t>(in.size(), kMaxHeader));
  if (in.read_at(0, h.data(), h.size()) != h.size() || h.size() < 10) return 0;
  if (h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || (h[3] & 0xe0) != 0) return 0;
  const unsigned flags = h[3];
  size_t pos = 10;
  if (flags & 4) {  // FEXTRA
    if (pos + 2 > h.size()) return 0;
    pos += 2 + (h[pos] | h[pos + 1] << 8);
  }
  for (unsigned zero_terminated : {8u, 16u}) {  // FNAME, FCOMMENT
    if (!(flags & zero_terminated)) continue;
    while (pos < h.size() && h[pos] != 0) ++pos;
    if (pos >= h.size()) return 0;
    ++pos;
  }
  if (flags & 2) pos += 2;  // FHCRC
  return pos < h.size() ? pos : 0;
}

struct Inflater {
  z_stream z{};
  bool ready = false;
  Inflater() { ready = inflateInit2(&z, -MAX_WBITS) == Z_OK; }
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

}  // namespace

std::optional<GzipMember> inflate_gzip(const std::filesystem::path& file, const std::filesystem::path& dest,
                                       uint64_t max_content) {
  InputFile in(file);
  GzipMember m;
  const size_t hlen = header_length(in);
  if (hlen == 0) return std::nullopt;
  m.header.resize(hlen);
  in.read_at(0, m.header.data(), hlen);

  Inflater inf;
  if (!inf.ready) fail(ErrorCode::kFailure, file.string() + ": cannot allocate a zlib decoder");
  std::optional<OutputFile> out(std::in_place, dest, Durability::kScratch);
  std::vector<unsigned char> ibuf(kChunk), obuf(kChunk);
  uint64_t offset = hlen;
  uint32_t crc = crc32(0, nullptr, 0);
  int r = Z_OK;
  while (r != Z_STREAM_END) {
    if (inf.z.avail_in == 0) {
      const size_t n = in.read_at(offset, ibuf.data(), ibuf.size());
      if (n == 0) return std::nullopt;  // truncated
      offset += n;
      inf.z.next_in = ibuf.data();
      inf.z.avail_in = static_cast<uInt>(n);
    }
    inf.z.next_out = obuf.data();
    inf.z.avail_out = static_cast<uInt>(obuf.size());
    r = inflate(&inf.z, Z_NO_FLUSH);
    if (r != Z_OK && r != Z_STREAM_END) return std::nullopt;
    const size_t got = obuf.size() - inf.z.avail_out;
    if (out->written() + got > max_content) return std::nullopt;
    crc = crc32(crc, obuf.data(), static_cast<uInt>(got));
    out->write(obuf.data(), got);
  }
  m.deflate_length = inf.z.total_in;
  m.content_size = out->written();
  std::array<unsigned char, 8> trailer{};
  const uint64_t trailer_at = hlen + m.deflate_length;
  if (in.size() != trailer_at + 8 || in.read_at(trailer_at, trailer.data(), 8) != 8) return std::nullopt;
  if (get_u32(trailer.data()) != crc || get_u32(trailer.data() + 4) != static_cast<uint32_t>(m.content_size))
    return std::nullopt;
  out->commit();
  return m;
}

std::string rebuild_gzip(const std::string& header, int level, const std::filesystem::path& content,
                         const std::filesystem::path& dest, uint64_t max_size, const std::string& what) {
  InputFile in(content);
  OutputFile out(dest);
  auto guarded_write = [&](const void* data, size_t n) {
    if (out.written() + n > max_size)
      fail(ErrorCode::kVerification,
           what + ": recompressing makes more than the " + std::to_string(max_size) + " bytes expected");
    out.write(data, n);
  };
  guarded_write(header.data(), header.size());
  uint64_t offset = 0;
  uint32_t crc = crc32(0, nullptr, 0);
  gnu_deflate(
      level,
      [&](unsigned char* buf, size_t n) {
        const size_t got = in.read_at(offset, buf, n);
        offset += got;
        crc = crc32(crc, buf, static_cast<uInt>(got));
        return got;
      },
      [&](const unsigned char* data, size_t n) { guarded_write(data, n); });
  std::array<unsigned char, 8> trailer{};
  for (int i = 0; i < 4; ++i) {
    trailer[i] = static_cast<unsigned char>(crc >> (8 * i));
    trailer[4 + i] = static_cast<unsigned char>(offset >> (8 * i));
  }
  guarded_write(trailer.data(), trailer.size());
  return out.commit();
}

std::optional<int> reproducing_level(const std::filesystem::path& file, const GzipMember& m,
                                     const std::filesystem::path& content) {
  InputFile original(file), in(content);
  for (int level : {9, 6, 4, 5, 7, 8}) {
    // Compare while compressing; stop at the first byte that differs.
    uint64_t read_offset = 0, compare_at = m.header.size();
    bool same = true;
    std::vector<unsigned char> expected;
    try {
      gnu_deflate(
          level,
          [&](unsigned char* buf, size_t n) {
            const size_t got = in.read_at(read_offset, buf, n);
            read_offset += got;
            return got;
          },
          [&](const unsigned char* data, size_t n) {
            expected.resize(n);
            if (compare_at + n > m.header.size() + m.deflate_length ||
                original.read_at(compare_at, expected.data(), n) != n || std::memcmp(expected.data(), data, n) != 0) {
              same = false;
              throw Mismatch{};
            }
            compare_at += n;
          });
    } catch (const Mismatch&) {
    }
    if (same && compare_at == m.header.size() + m.deflate_length) return level;
  }
  return std::nullopt;
}

}  // namespace upkeep::delta

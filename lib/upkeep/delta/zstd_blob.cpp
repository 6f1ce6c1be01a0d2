// compress_blob / decompress_blob (codec.h): a blob is a single zstd frame.
#include "upkeep/delta/zstd_blob.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/zstd_context.h"
#include "upkeep/delta/zstd_stream.h"

namespace upkeep::delta {

namespace {

ZstdCCtx make_cctx(int level, const std::string& what) {
  ZstdCCtx c(ZSTD_createCCtx());
  if (!c) fail(ErrorCode::kFailure, what + ": cannot allocate a zstd encoder");
  check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, level), what);
  check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1), what);
  return c;
}

}  // namespace

std::string zstd_compress(std::string_view data, int level, const std::string& what, int window_log) {
  ZstdCCtx c = make_cctx(level, what);
  // Smaller inputs get a window no larger than themselves anyway.
  if (window_log > 0 && data.size() > (size_t{1} << window_log))
    check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, window_log), what);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress2(c.get(), out.data(), out.size(), data.data(), data.size());
  check_zstd(n, what);
  out.resize(n);
  return out;
}

uint64_t zstd_frame_content_size(const void* data, size_t size, const std::string& what) {
  unsigned long long content = ZSTD_getFrameContentSize(data, size);
  if (content == ZSTD_CONTENTSIZE_ERROR)
    fail(ErrorCode::kVerification, what + ": not a zstd frame (bad or truncated header)");
  if (content == ZSTD_CONTENTSIZE_UNKNOWN)
    fail(ErrorCode::kVerification, what + ": the zstd frame does not declare its content size, expected it to");
  size_t frame_size = ZSTD_findFrameCompressedSize(data, size);
  check_zstd(frame_size, what + ": truncated or corrupt frame", ErrorCode::kVerification);
  if (frame_size != size)
    fail(ErrorCode::kVerification, what + ": " + std::to_string(size - frame_size) +
                                       " bytes of trailing data after the zstd frame, expected none");
  return content;
}

void zstd_decompress_exact(ZSTD_DCtx* dctx, const void* frame, size_t frame_size, void* out, size_t out_size,
                           const std::string& what) {
  size_t n = ZSTD_decompressDCtx(dctx, out, out_size, frame, frame_size);
  check_zstd(n, what + ": corrupt zstd data", ErrorCode::kVerification);
  if (n != out_size)
    fail(ErrorCode::kVerification,
         what + ": the zstd frame decoded to " + std::to_string(n) + " bytes, expected " + std::to_string(out_size));
}

std::string zstd_decompress(std::string_view frame, uint64_t max_size, const std::string& what) {
  const uint64_t content = zstd_frame_content_size(frame.data(), frame.size(), what);
  if (content > max_size)
    fail(ErrorCode::kVerification, what + ": the zstd frame declares " + std::to_string(content) +
                                       " bytes, expected at most " + std::to_string(max_size));
  ZstdDCtx d(ZSTD_createDCtx());
  if (!d) fail(ErrorCode::kFailure, what + ": cannot allocate a zstd decoder");
  std::string out(static_cast<size_t>(content), '\0');
  zstd_decompress_exact(d.get(), frame.data(), frame.size(), out.data(), out.size(), what);
  return out;
}

std::string compress_blob(const std::filesystem::path& src, const std::filesystem::path& dest, int level,
                          unsigned threads, ZstdTuning tuning) {
  if (level < 1 || level > ZSTD_maxCLevel())
    fail(ErrorCode::kUsage,
         "compression level " + std::to_string(level) + " is outside 1-" + std::to_string(ZSTD_maxCLevel()));
  if (tuning.window_log > kZstdWindowLogMax)
    fail(ErrorCode::kUsage, "zstd window log " + std::to_string(tuning.window_log) + " is above " +
                                std::to_string(kZstdWindowLogMax) + ", the largest clients decode");
  InputFile in(src);
  const std::string what = "compressing " + src.string();
  ZstdCCtx c = make_cctx(level, what);
  // The size goes into the frame header; zstd fails if the file then changes size.
  check_zstd(ZSTD_CCtx_setPledgedSrcSize(c.get(), in.size()), what);
  if (tuning.min_match) check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_minMatch, tuning.min_match), what);
  if (tuning.search_log) check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_searchLog, tuning.search_log), what);
  if (tuning.window_log) check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, tuning.window_log), what);
  // A libzstd built without threads refuses workers: it then compresses alone.
  if (in.size() >= kMultithreadBlobMin)
    ZSTD_CCtx_setParameter(c.get(), ZSTD_c_nbWorkers, static_cast<int>(std::max(threads, 1u)));
  OutputFile out(dest);
  std::vector<char> ibuf(ZSTD_CStreamInSize()), obuf(ZSTD_CStreamOutSize());
  uint64_t offset = 0;
  bool last = false;
  while (!last) {
    size_t n = in.read_at(offset, ibuf.data(), ibuf.size());
    offset += n;
    last = n < ibuf.size();
    ZSTD_inBuffer ib{ibuf.data(), n, 0};
    ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    // e_continue consumes all input; e_end is repeated until the frame is flushed (returns 0).
    while (true) {
      ZSTD_outBuffer ob{obuf.data(), obuf.size(), 0};
      size_t r = ZSTD_compressStream2(c.get(), &ob, &ib, mode);
      check_zstd(r, what);
      out.write(obuf.data(), ob.pos);
      if (last ? r == 0 : ib.pos == ib.size) break;
    }
  }
  return out.commit();
}

std::string decompress_blob(const std::filesystem::path& blob, const std::filesystem::path& dest,
                            uint64_t expected_size) {
  InputFile in(blob);
  ZstdFrameReader reader(in, 0, in.size(), blob.string());
  OutputFile out(dest);
  std::vector<char> buf(1 << 16);
  while (out.written() < expected_size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), expected_size - out.written()));
    size_t got = reader.read(buf.data(), want);
    out.write(buf.data(), got);
    if (got < want)
      fail(ErrorCode::kVerification, blob.string() + ": decompresses to only " + std::to_string(out.written()) +
                                         " bytes, expected " + std::to_string(expected_size));
  }
  if (!reader.at_end())
    fail(ErrorCode::kVerification,
         blob.string() + ": decompresses to more than the expected " + std::to_string(expected_size) + " bytes");
  return out.commit();
}

}  // namespace upkeep::delta

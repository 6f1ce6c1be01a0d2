#include "upkeep/delta/zstd_patch.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/io.h"
#include "upkeep/delta/zstd_blob.h"
#include "upkeep/delta/zstd_context.h"
#include "upkeep/platform/mapped_file.h"

namespace upkeep::delta {

namespace {

constexpr int kPatchLevel = 19;
// A frame's window covers source and target at once (see window_log), so the
// largest a valid patch can ask for is ZSTD_WINDOWLOG_MAX; the limit on the
// sizes already bounds what is mapped.
constexpr int kDecoderWindowLogMax = 31;

// The zstd CLI's --patch-from rule: a window of twice the larger input,
// rounded up to a power of two, so that every target byte can still reach
// back to the start of the source. The bounds are ZSTD_WINDOWLOG_MIN/MAX,
// asked through the stable API (the macros are static-linking-only).
int window_log(uint64_t max_size) {
  int log = 0;
  while (log < 63 && (uint64_t{1} << log) < max_size) ++log;  // ceil(log2)
  ZSTD_bounds b = ZSTD_cParam_getBounds(ZSTD_c_windowLog);
  return std::clamp(log + 1, b.lowerBound, b.upperBound);
}

}  // namespace

void write_zstd_patch_frame(const unsigned char* source, uint64_t source_size, const unsigned char* target,
                            uint64_t target_size, OutputFile& out, const std::string& what) {
  ZstdCCtx c(ZSTD_createCCtx());
  if (!c) fail(ErrorCode::kFailure, what + ": cannot allocate a zstd encoder");
  check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, kPatchLevel), what);
  check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1), what);
  check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_enableLongDistanceMatching, 1), what);
  check_zstd(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_windowLog, window_log(std::max(source_size, target_size))), what);
  // The prefix is referenced, not copied, and lasts for the next frame only.
  check_zstd(ZSTD_CCtx_refPrefix(c.get(), source, source_size), what);
  // One shot, so zstd reads the (mapped) target in place (streaming would
  // copy it into a window buffer). The output buffer is left uninitialised:
  // only the pages the frame fills become resident, about the patch's size.
  const size_t bound = ZSTD_compressBound(target_size);
  auto frame = std::make_unique_for_overwrite<char[]>(bound);
  const size_t n = ZSTD_compress2(c.get(), frame.get(), bound, target, target_size);
  check_zstd(n, what);
  out.write(frame.get(), n);
}

std::string decode_zstd_patch_frame(const unsigned char* source, uint64_t source_size, const unsigned char* frame,
                                    uint64_t frame_size, const std::filesystem::path& dest, uint64_t expected_size,
                                    const std::string& what, Durability durability,
                                    const std::function<void(unsigned char*, uint64_t)>& finish) {
  // Everything about the frame is checked before the output exists.
  const uint64_t content = zstd_frame_content_size(frame, frame_size, what);
  if (content != expected_size)
    fail(ErrorCode::kVerification,
         what + ": the patch makes " + std::to_string(content) + " bytes, expected " + std::to_string(expected_size));
  ZstdDCtx d(ZSTD_createDCtx());
  if (!d) fail(ErrorCode::kFailure, what + ": cannot allocate a zstd decoder");
  check_zstd(ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, kDecoderWindowLogMax), what);
  check_zstd(ZSTD_DCtx_refPrefix(d.get(), source, source_size), what);

  MappedFile out = MappedFile::create(dest, expected_size);
  RemoveOnFailure guard(dest);
  // One-shot into the mapping: the output itself is the decoder's window.
  zstd_decompress_exact(d.get(), frame, frame_size, out.writable_data(), out.size(), what);
  if (finish) finish(out.writable_data(), out.size());
  Hasher h;
  h.update(out.data(), out.size());
  if (durability == Durability::kDurable) out.sync();
  out.close();
  guard.keep();
  return h.hex_digest();
}

void make_zstd_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest, Durability durability, ZstdPatchReach reach) {
  MappedFile src = MappedFile::open_read_only(source);
  MappedFile tgt = MappedFile::open_read_only(target);
  if (reach == ZstdPatchReach::kBounded)
    for (const MappedFile* f : {&src, &tgt})
      if (f->size() > kMaxZstdPatchSource)
        fail(ErrorCode::kUsage, f->path().string() + ": " + std::to_string(f->size()) +
                                    " bytes is more than a zstd patch allows (" + std::to_string(kMaxZstdPatchSource) +
                                    "); use zstd-long");
  OutputFile out(dest, durability);
  write_zstd_patch_frame(src.data(), src.size(), tgt.data(), tgt.size(), out,
                         "making a zstd patch of " + target.string());
  out.commit();
}

std::string apply_zstd_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size, Durability durability,
                             ZstdPatchReach reach) {
  const std::string name = patch.string();
  const bool bounded = reach == ZstdPatchReach::kBounded;
  if (bounded && expected_size > kMaxZstdPatchSource)
    fail(ErrorCode::kVerification, name + ": a zstd patch cannot make " + std::to_string(expected_size) +
                                       " bytes, the limit is " + std::to_string(kMaxZstdPatchSource));
  MappedFile src = MappedFile::open_read_only(source);
  if (bounded && src.size() > kMaxZstdPatchSource)
    fail(ErrorCode::kVerification, name + ": its source " + source.string() + " is larger than a zstd patch allows");
  MappedFile in = MappedFile::open_read_only(patch);
  return decode_zstd_patch_frame(src.data(), src.size(), in.data(), in.size(), dest, expected_size, name, durability);
}

}  // namespace upkeep::delta

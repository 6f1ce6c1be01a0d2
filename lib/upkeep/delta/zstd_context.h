// The zstd contexts as owning pointers, and the one check of a libzstd
// return code, for the files that call libzstd directly (zstd_blob,
// zstd_patch). Any thread; each context is used by one thread at a time.
#pragma once

#include <zstd.h>

#include <memory>
#include <string>

#include "upkeep/base/error.h"

namespace upkeep::delta {

struct ZstdFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};
using ZstdCCtx = std::unique_ptr<ZSTD_CCtx, ZstdFree>;
using ZstdDCtx = std::unique_ptr<ZSTD_DCtx, ZstdFree>;

// Throws Error(code) "<what>: zstd: <libzstd's message>" when `r` is a zstd error code.
inline void check_zstd(size_t r, const std::string& what, ErrorCode code = ErrorCode::kFailure) {
  if (ZSTD_isError(r)) fail(code, what + ": zstd: " + ZSTD_getErrorName(r));
}

}  // namespace upkeep::delta

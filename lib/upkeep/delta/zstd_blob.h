// Blobs: one whole file as a single zstd frame (internal to delta/;
// the public entry points compress_blob / decompress_blob are declared in
// codec.h and defined in zstd_blob.cpp). This header holds what the other
// delta code shares with the blob code: one-shot compression of a buffer
// into a checksummed frame (the streams of a bsdiff patch, the delta
// bundle), the checks of a buffer that must be exactly one frame (a zstd
// patch, the delta bundle), and one-shot bounded decompression of such a
// buffer into memory (the delta bundle).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

struct ZSTD_DCtx_s;

namespace upkeep::delta {

// Compresses `data` into one zstd frame with its content size and checksum;
// a window_log above 0 caps the frame's window (the decoder's memory) at
// 2^window_log bytes. Thread-safe. Throws Error(kFailure) naming `what` if
// zstd fails.
std::string zstd_compress(std::string_view data, int level, const std::string& what, int window_log = 0);

// The content size `data` declares, after checking that it is exactly one
// zstd frame: a header that parses, a declared content size, and no byte
// after the frame. Reads the headers only (nothing is decompressed).
// Thread-safe. Throws Error(kVerification) naming `what` otherwise.
uint64_t zstd_frame_content_size(const void* data, size_t size, const std::string& what);

// One-shot decompression of `frame` with `dctx` (whose parameters and
// prefix the caller set) into `out`, which it must fill exactly: fewer bytes
// or corrupt data is Error(kVerification) naming `what`. The caller has
// checked the frame's declared size (zstd_frame_content_size) first.
void zstd_decompress_exact(ZSTD_DCtx_s* dctx, const void* frame, size_t frame_size, void* out, size_t out_size,
                           const std::string& what);

// Decompresses `frame`, which must be exactly one zstd frame (as
// zstd_frame_content_size checks) declaring at most `max_size` bytes, into
// memory. The output buffer is the declared size, allocated only after that
// check, so a frame that claims more (a decompression bomb) costs nothing.
// Thread-safe. Throws Error(kVerification) naming `what` for a frame that is
// malformed, corrupt, declares more than `max_size` or decodes to another
// length than it declares.
std::string zstd_decompress(std::string_view frame, uint64_t max_size, const std::string& what);

}  // namespace upkeep::delta

// Blobs: one whole file as a single zstd frame (internal to shared/delta;
// the public entry points compress_blob / decompress_blob are declared in
// codec.h and defined in zstd_blob.cpp). This header holds what the other
// codecs share with the blob code: one-shot compression of a buffer into a
// checksummed frame, for the streams of a bsdiff patch.
#pragma once

#include <string>
#include <string_view>

namespace upkeep::delta {

// Compresses `data` into one zstd frame with its content size and checksum.
// Thread-safe. Throws Error(kFailure) naming `what` if zstd fails.
std::string zstd_compress(std::string_view data, int level, const std::string& what);

}  // namespace upkeep::delta

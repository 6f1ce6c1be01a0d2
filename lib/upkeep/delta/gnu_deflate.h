// A deflate encoder that reproduces GNU gzip's output bit for bit (levels
// 4-9, gzip's lazy-matching ones; `gzip -9n` is what Debian and most build
// systems use for man pages and documentation).
//
// Why: a .gz file changes throughout after a one-line edit of its content,
// so binary patches of .gz files are as large as the files. A gzip-aware
// patch (gzip_patch.h) diffs the decompressed contents instead and rebuilds
// the .gz by compressing again; that only works when the compressor is
// deterministic and known. zlib is not GNU gzip: it ends blocks elsewhere
// (gzip ends a block early when its estimate says so, every 4096 symbols),
// so zlib reproduces only small files. This is our own implementation of the
// same algorithm (hash chains of 15 bits, lazy evaluation, gzip's block
// heuristic and Huffman tree construction); where it does not reproduce a
// file exactly, the vendor side notices and makes no gzip patch.
//
// Thread-safety: a free function; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace upkeep::delta {

// Reads up to n bytes into buf; returns fewer only at the end of the input.
using DeflateInput = std::function<size_t(unsigned char* buf, size_t n)>;
using DeflateOutput = std::function<void(const unsigned char* data, size_t n)>;

// Compresses everything `in` yields as one raw deflate stream (no gzip
// header or trailer) the way `gzip -<level>` does. level: 4..9, else
// Error(kUsage). Memory: about 200 KiB whatever the input size.
void gnu_deflate(int level, const DeflateInput& in, const DeflateOutput& out);

}  // namespace upkeep::delta

// Transform patches (internal to delta/): a zstd or bsdiff patch
// between the *decoded* forms of two files, for formats where a small change
// moves or renumbers much of the file and a byte-level diff finds little
// (bitcode_patch.h: LLVM bitcode, whose fields are not byte-aligned;
// mo_patch.h: gettext catalogs, whose offset and hash tables renumber).
//
// A Transform is an exact, reversible re-encoding: decode() gives nullopt
// unless encode(decode(f)) is f itself, so the vendor makes a patch only for
// files the client can rebuild byte for byte; the client decodes its held
// source, applies the inner patch and encodes the result, and the SHA-256 of
// what it rebuilt is checked as for every patch. Container:
//   magic (8 bytes) | inner algorithm (u8, 1 zstd, 2 bsdiff) |
//   source decoded size (u64) | target decoded size (u64) | inner patch
// (integers little-endian). Files are held in memory, so both sides are
// limited to Transform::max_file; the decoded forms and the inner patch are
// scratch files next to `dest`, removed whatever happens.
// Free functions; thread-safe for distinct paths. Failure and output
// semantics are codec.h's.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::delta {

struct Transform {
  const char* magic;  // 8 bytes
  const char* what;   // the format, for messages: "bitcode"
  uint64_t max_file;
  uint64_t max_decoded_ratio;  // a decoded form is at most this times its file (+1 KiB)
  std::function<std::optional<std::string>(std::string_view file)> decode;
  // Error(kVerification) naming `what` for a malformed decoded form or one
  // that encodes to more than `max_size` bytes.
  std::function<std::string(std::string_view decoded, uint64_t max_size, const std::string& what)> encode;
};

// False (and no `dest`) when either file does not decode (see above) or is
// larger than t.max_file.
bool make_transform_patch(const Transform& t, const std::filesystem::path& source, const std::filesystem::path& target,
                          const std::filesystem::path& dest);
std::string apply_transform_patch(const Transform& t, const std::filesystem::path& source,
                                  const std::filesystem::path& patch, const std::filesystem::path& dest,
                                  uint64_t expected_size);

}  // namespace upkeep::delta

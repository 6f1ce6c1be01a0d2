// A .gz file of exactly one member (RFC 1952): the unit gzip patches
// (gzip_patch.h) work on. Internal to delta/.
//
// inflate_gzip() splits a file into its header bytes and its content;
// rebuild_gzip() puts them back together with GNU gzip's deflate
// (gnu_deflate.h) and a fresh trailer; reproducing_level() is the vendor's
// check that rebuilding gives back the very same bytes.
//
// Free functions; thread-safe for distinct paths. Outputs follow io.h's
// OutputFile rules (must not exist, 0600, removed on failure).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace upkeep::delta {

struct GzipMember {
  std::string header;  // every byte before the deflate stream, verbatim
  uint64_t deflate_length = 0;
  uint64_t content_size = 0;
};

// Parses `file` and inflates its content into `dest`, an intermediate file
// (written without fsync, io.h's Durability::kScratch). nullopt (and no
// `dest`) when `file` is not one whole gzip member: a bad header, a corrupt
// stream, a wrong CRC or length in the trailer, a second member or trailing
// bytes, or more than `max_content` bytes of content.
std::optional<GzipMember> inflate_gzip(const std::filesystem::path& file, const std::filesystem::path& dest,
                                       uint64_t max_content);

// Writes `header`, `content` deflated as `gzip -<level>` does, and the
// trailer (CRC-32, size) into `dest`; returns the SHA-256 (hex) of `dest`.
// Stops with Error(kVerification) naming `what` once more than `max_size`
// bytes would be written.
std::string rebuild_gzip(const std::string& header, int level, const std::filesystem::path& content,
                         const std::filesystem::path& dest, uint64_t max_size, const std::string& what);

// The level (9 first, then 6, then the others of 4-9) at which rebuilding
// `m`'s content gives back `file` byte for byte; nullopt when none does.
std::optional<int> reproducing_level(const std::filesystem::path& file, const GzipMember& m,
                                     const std::filesystem::path& content);

}  // namespace upkeep::delta

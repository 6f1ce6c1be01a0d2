// The delta bundle: a release's delta target (delta.zst), the one file a
// client doing a delta update fetches before blobs and patches.
//
// It is one zstd frame (level 19, content size declared, checksummed) of
//   <files.json text> "\n" <delta index text (delta_index.h)>
// so the content hashes the two share are compressed once, and the client
// fetches the manifest inside it instead of files.json beside it. Both parts
// are canonical JSON, which holds no newline: the first "\n" is where the
// manifest ends. The bundle is a TUF target of its own (length and hash
// signed); its manifest part must be byte for byte the release's signed
// files.json target, which the client checks against that target's signed
// length and hash, so the manifest it uses is as signed as a files.json
// fetched alone would be.
//
// Free functions, thread-safe. They return only complete, checked results;
// on failure they throw Error naming the bundle (`what`), what was wrong and
// what was expected, and nothing else has happened.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "upkeep/delta/delta_index.h"

namespace upkeep::delta {

// A bundle decompresses to at most this: a frame that declares more is
// refused before anything is allocated (postgresql-15's 1,501 files make
// about 0.75 MB).
constexpr uint64_t kMaxBundleContent = 64ull << 20;

// Vendor side: the bundle of a release's files.json text and delta index
// text. Error(kBadInput) when either text holds a "\n" (canonical JSON never
// does) or the two are larger than kMaxBundleContent; Error(kFailure) when
// zstd fails.
std::string pack_delta_bundle(std::string_view manifest_text, std::string_view index_text);

struct DeltaBundle {
  std::string manifest_text;  // files.json exactly as signed
  std::string index_text;     // the delta index, to be parsed with DeltaIndex::parse
};

// Client side: the parts of `bundle`, in this order of checks:
//   1. `bundle` has the signed length and SHA-256 `signed_bundle` (before
//      a byte of it is decompressed);
//   2. it is one zstd frame declaring its content size, at most
//      kMaxBundleContent, with no data after it, that decodes to that size;
//   3. the content holds a "\n"; the text before the first one has the
//      signed length and SHA-256 `signed_manifest` (the release's files.json
//      target).
// Error(kVerification) for any of these. The index part is not parsed here.
DeltaBundle unpack_delta_bundle(std::string_view bundle, const Stored& signed_bundle, const Stored& signed_manifest,
                                const std::string& what);

}  // namespace upkeep::delta

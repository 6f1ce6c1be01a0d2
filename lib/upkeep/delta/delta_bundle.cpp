#include "upkeep/delta/delta_bundle.h"

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/zstd_blob.h"

namespace upkeep::delta {

namespace {

constexpr int kBundleLevel = 19;
constexpr char kSeparator = '\n';

// `bytes` are `part` of the bundle as `expected` signs them.
void check_signed(std::string_view bytes, const Stored& expected, const std::string& part) {
  if (bytes.size() != expected.length)
    fail(ErrorCode::kVerification, part + " is " + std::to_string(bytes.size()) + " bytes, the signed length is " +
                                       std::to_string(expected.length));
  if (sha256_hex(bytes) != expected.sha256)
    fail(ErrorCode::kVerification,
         part + " has SHA-256 " + sha256_hex(bytes) + ", the signed hash is " + expected.sha256);
}

}  // namespace

std::string pack_delta_bundle(std::string_view manifest_text, std::string_view index_text) {
  for (auto [text, name] : {std::pair{manifest_text, "files.json"}, std::pair{index_text, "the delta index"}})
    if (text.find(kSeparator) != std::string_view::npos)
      fail(ErrorCode::kBadInput, std::string("delta bundle: ") + name +
                                     " holds a newline, expected canonical JSON (the newline ends files.json)");
  if (manifest_text.size() + 1 + index_text.size() > kMaxBundleContent)
    fail(ErrorCode::kBadInput, "delta bundle: files.json and the delta index are " +
                                   std::to_string(manifest_text.size() + 1 + index_text.size()) +
                                   " bytes, clients accept at most " + std::to_string(kMaxBundleContent));
  std::string content;
  content.reserve(manifest_text.size() + 1 + index_text.size());
  content.append(manifest_text).push_back(kSeparator);
  content.append(index_text);
  return zstd_compress(content, kBundleLevel, "compressing the delta bundle");
}

DeltaBundle unpack_delta_bundle(std::string_view bundle, const Stored& signed_bundle, const Stored& signed_manifest,
                                const std::string& what) {
  check_signed(bundle, signed_bundle, what);
  const std::string content = zstd_decompress(bundle, kMaxBundleContent, what);
  const size_t end = content.find(kSeparator);
  if (end == std::string::npos)
    fail(ErrorCode::kVerification, what + ": " + std::to_string(content.size()) +
                                       " bytes without a newline, expected files.json, a newline, the delta index");
  DeltaBundle out;
  out.manifest_text = content.substr(0, end);
  check_signed(out.manifest_text, signed_manifest, what + ": its files.json part");
  out.index_text = content.substr(end + 1);
  return out;
}

}  // namespace upkeep::delta

#include "upkeep/delta/gzip_patch.h"

#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/gzip_member.h"
#include "upkeep/delta/inner_patch.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr char kGzipPatchMagic[8] = {'U', 'P', 'K', 'G', 'Z', 'P', '0', '1'};
constexpr size_t kFixedSize = 8 + 1 + 1 + 4;
constexpr uint32_t kMaxPatchedGzipHeader = 64 * 1024;
// Deflate cannot compress better than about 1032:1; a content larger than
// that many times the expected .gz is not what the patch claims.
constexpr uint64_t kMaxRatio = 1032;
constexpr uint64_t kMaxContent = 4ull << 30;

}  // namespace

bool make_gzip_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest) {
  ScratchFiles scratch(dest);
  const std::filesystem::path target_content = scratch.make(".target-content");
  const std::optional<GzipMember> t = inflate_gzip(target, target_content, kMaxContent);
  if (!t) return false;
  const std::optional<int> level = reproducing_level(target, *t, target_content);
  if (!level) return false;
  const std::filesystem::path source_content = scratch.make(".source-content");
  const std::optional<GzipMember> s = inflate_gzip(source, source_content, kMaxContent);
  if (!s) return false;

  const InnerPatch inner = make_inner_patch(source_content, target_content, scratch);

  std::string head(kGzipPatchMagic, sizeof kGzipPatchMagic);
  put_le(head, static_cast<uint64_t>(*level), 1);
  put_le(head, static_cast<uint64_t>(inner.algorithm), 1);
  put_le(head, t->header.size(), 4);
  head += t->header;
  put_le(head, s->content_size, 8);
  put_le(head, t->content_size, 8);
  OutputFile out(dest);
  out.write(head.data(), head.size());
  append_file(out, InputFile(inner.file));
  out.commit();
  return true;
}

std::string apply_gzip_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size) {
  const std::string name = patch.string();
  auto bad = [&](const std::string& why) { fail(ErrorCode::kVerification, name + ": " + why); };
  InputFile in(patch);
  std::array<unsigned char, kFixedSize> fixed{};
  if (in.read_at(0, fixed.data(), fixed.size()) != fixed.size() || std::memcmp(fixed.data(), kGzipPatchMagic, 8) != 0)
    bad("not a gzip patch (expected the header UPKGZP01)");
  const int level = fixed[8];
  if (level < 4 || level > 9) bad("gzip level " + std::to_string(level) + ", expected 4-9");
  const PatchAlgorithm inner_code = inner_algorithm(fixed[9], name);
  const uint64_t header_size = get_le(fixed.data() + 10, 4);
  if (header_size < 10 || header_size > kMaxPatchedGzipHeader)
    bad("a gzip header of " + std::to_string(header_size) + " bytes");
  std::string header(header_size, '\0');
  std::array<unsigned char, 16> sizes{};
  if (in.read_at(kFixedSize, header.data(), header.size()) != header.size() ||
      in.read_at(kFixedSize + header_size, sizes.data(), sizes.size()) != sizes.size())
    bad("truncated header");
  if (static_cast<unsigned char>(header[0]) != 0x1f || static_cast<unsigned char>(header[1]) != 0x8b)
    bad("the gzip header it carries does not start with 1f 8b");
  const uint64_t source_size = get_le(sizes.data(), 8), target_size = get_le(sizes.data() + 8, 8);
  if (target_size > expected_size * kMaxRatio + 1024 || source_size > kMaxContent)
    bad("content sizes " + std::to_string(source_size) + " and " + std::to_string(target_size) + " are beyond what a " +
        std::to_string(expected_size) + "-byte .gz file holds");

  ScratchFiles scratch(dest);
  const std::filesystem::path source_content = scratch.make(".source-content");
  const std::optional<GzipMember> s = inflate_gzip(source, source_content, source_size);
  if (!s || s->content_size != source_size)
    bad("its source " + source.string() + " is not the gzip file it was made from (expected " +
        std::to_string(source_size) + " bytes of content)");
  const std::filesystem::path inner = copy_inner_patch(in, kFixedSize + header_size + sizes.size(), scratch);
  const std::filesystem::path target_content = scratch.make(".target-content");
  apply_inner_patch(inner_code, source_content, inner, target_content, target_size, Durability::kScratch, name);
  RemoveOnFailure guard(dest);
  const std::string sha = rebuild_gzip(header, level, target_content, dest, expected_size, name);
  const uint64_t made = std::filesystem::file_size(dest);
  if (made != expected_size)
    bad("rebuilt " + std::to_string(made) + " bytes, expected " + std::to_string(expected_size));
  guard.keep();
  return sha;
}

}  // namespace upkeep::delta

#include "upkeep/delta/transform_patch.h"

#include <array>
#include <cstring>

#include "upkeep/base/error.h"
#include "upkeep/delta/inner_patch.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr size_t kTransformHeaderSize = 8 + 1 + 8 + 8;

std::string read_whole(const Transform& t, const std::filesystem::path& p, uint64_t limit, ErrorCode too_large) {
  InputFile in(p);
  if (in.size() > limit)
    fail(too_large, p.string() + ": " + std::to_string(in.size()) + " bytes is more than a " + t.what +
                        " patch allows (" + std::to_string(limit) + ")");
  std::string s(static_cast<size_t>(in.size()), '\0');
  if (in.read_at(0, s.data(), s.size()) != s.size()) fail(ErrorCode::kFailure, p.string() + ": changed while read");
  return s;
}

void write_scratch(const std::filesystem::path& p, const std::string& data) {
  OutputFile out(p, Durability::kScratch);
  out.write(data.data(), data.size());
  out.commit();
}

}  // namespace

bool make_transform_patch(const Transform& tr, const std::filesystem::path& source, const std::filesystem::path& target,
                          const std::filesystem::path& dest) {
  if (std::filesystem::file_size(source) > tr.max_file || std::filesystem::file_size(target) > tr.max_file)
    return false;
  const std::optional<std::string> t = tr.decode(read_whole(tr, target, tr.max_file, ErrorCode::kUsage));
  if (!t) return false;
  const std::optional<std::string> s = tr.decode(read_whole(tr, source, tr.max_file, ErrorCode::kUsage));
  if (!s) return false;
  ScratchFiles scratch(dest);
  const std::filesystem::path source_decoded = scratch.make(".source-decoded");
  const std::filesystem::path target_decoded = scratch.make(".target-decoded");
  write_scratch(source_decoded, *s);
  write_scratch(target_decoded, *t);
  const InnerPatch inner = make_inner_patch(source_decoded, target_decoded, scratch);

  std::string head(tr.magic, 8);
  put_le(head, static_cast<uint64_t>(inner.algorithm), 1);
  put_le(head, s->size(), 8);
  put_le(head, t->size(), 8);
  OutputFile out(dest);
  out.write(head.data(), head.size());
  append_file(out, InputFile(inner.file));
  out.commit();
  return true;
}

std::string apply_transform_patch(const Transform& tr, const std::filesystem::path& source,
                                  const std::filesystem::path& patch, const std::filesystem::path& dest,
                                  uint64_t expected_size) {
  const std::string name = patch.string();
  auto bad = [&](const std::string& why) { fail(ErrorCode::kVerification, name + ": " + why); };
  if (expected_size > tr.max_file)
    bad(std::string("a ") + tr.what + " patch cannot make " + std::to_string(expected_size) + " bytes, the limit is " +
        std::to_string(tr.max_file));
  InputFile in(patch);
  std::array<unsigned char, kTransformHeaderSize> head{};
  if (in.read_at(0, head.data(), head.size()) != head.size() || std::memcmp(head.data(), tr.magic, 8) != 0)
    bad(std::string("not a ") + tr.what + " patch (expected the header " + std::string(tr.magic, 8) + ")");
  const PatchAlgorithm inner_code = inner_algorithm(head[8], name);
  const uint64_t source_size = get_le(head.data() + 9, 8), target_size = get_le(head.data() + 17, 8);
  if (target_size > tr.max_decoded_ratio * expected_size + 1024)
    bad("a decoded target of " + std::to_string(target_size) + " bytes is more than a " +
        std::to_string(expected_size) + "-byte " + tr.what + " file decodes to");

  const std::optional<std::string> s = tr.decode(read_whole(tr, source, tr.max_file, ErrorCode::kVerification));
  if (!s || s->size() != source_size)
    bad("its source " + source.string() + " is not the " + tr.what + " it was made from (expected " +
        std::to_string(source_size) + " decoded bytes)");
  ScratchFiles scratch(dest);
  const std::filesystem::path source_decoded = scratch.make(".source-decoded");
  write_scratch(source_decoded, *s);
  const std::filesystem::path inner = copy_inner_patch(in, kTransformHeaderSize, scratch);
  const std::filesystem::path target_decoded = scratch.make(".target-decoded");
  apply_inner_patch(inner_code, source_decoded, inner, target_decoded, target_size, Durability::kScratch, name);

  const std::string rebuilt =
      tr.encode(read_whole(tr, target_decoded, target_size, ErrorCode::kVerification), expected_size, name);
  if (rebuilt.size() != expected_size)
    bad("rebuilt " + std::to_string(rebuilt.size()) + " bytes, expected " + std::to_string(expected_size));
  OutputFile out(dest);
  out.write(rebuilt.data(), rebuilt.size());
  return out.commit();
}

}  // namespace upkeep::delta

#include "delta/bitcode_patch.h"

#include <array>
#include <cstring>
#include <optional>

#include "delta/bitcode.h"
#include "delta/codec.h"
#include "delta/inner_patch.h"
#include "delta/io.h"
#include "error.h"

namespace upkeep::delta {

namespace {

constexpr char kMagic[8] = {'U', 'P', 'K', 'L', 'B', 'C', '0', '1'};
constexpr size_t kHeaderSize = 8 + 1 + 8 + 8;

std::string read_whole(const std::filesystem::path& p, uint64_t limit, ErrorCode too_large) {
  InputFile in(p);
  if (in.size() > limit)
    fail(too_large, p.string() + ": " + std::to_string(in.size()) + " bytes is more than a bitcode patch allows (" +
                        std::to_string(limit) + ")");
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

bool make_bitcode_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                        const std::filesystem::path& dest) {
  if (std::filesystem::file_size(source) > kMaxBitcodePatchFile ||
      std::filesystem::file_size(target) > kMaxBitcodePatchFile)
    return false;
  const std::optional<std::string> t = decode_bitcode(read_whole(target, kMaxBitcodePatchFile, ErrorCode::kUsage));
  if (!t) return false;
  const std::optional<std::string> s = decode_bitcode(read_whole(source, kMaxBitcodePatchFile, ErrorCode::kUsage));
  if (!s) return false;
  ScratchFiles scratch(dest);
  const std::filesystem::path source_decoded = scratch.make(".source-decoded");
  const std::filesystem::path target_decoded = scratch.make(".target-decoded");
  write_scratch(source_decoded, *s);
  write_scratch(target_decoded, *t);
  const InnerPatch inner = make_inner_patch(source_decoded, target_decoded, scratch);

  std::string head(kMagic, sizeof kMagic);
  put_le(head, static_cast<uint64_t>(inner.algorithm), 1);
  put_le(head, s->size(), 8);
  put_le(head, t->size(), 8);
  OutputFile out(dest);
  out.write(head.data(), head.size());
  append_file(out, InputFile(inner.file));
  out.commit();
  return true;
}

std::string apply_bitcode_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                                const std::filesystem::path& dest, uint64_t expected_size) {
  const std::string name = patch.string();
  auto bad = [&](const std::string& why) { fail(ErrorCode::kVerification, name + ": " + why); };
  if (expected_size > kMaxBitcodePatchFile)
    bad("a bitcode patch cannot make " + std::to_string(expected_size) + " bytes, the limit is " +
        std::to_string(kMaxBitcodePatchFile));
  InputFile in(patch);
  std::array<unsigned char, kHeaderSize> head{};
  if (in.read_at(0, head.data(), head.size()) != head.size() || std::memcmp(head.data(), kMagic, 8) != 0)
    bad("not a bitcode patch (expected the header UPKLBC01)");
  const PatchAlgorithm inner_code = inner_algorithm(head[8], name);
  const uint64_t source_size = get_le(head.data() + 9, 8), target_size = get_le(head.data() + 17, 8);
  if (target_size > kMaxDecodedRatio * expected_size + 1024)
    bad("a decoded target of " + std::to_string(target_size) + " bytes is more than a " +
        std::to_string(expected_size) + "-byte bitcode file decodes to");

  const std::optional<std::string> s =
      decode_bitcode(read_whole(source, kMaxBitcodePatchFile, ErrorCode::kVerification));
  if (!s || s->size() != source_size)
    bad("its source " + source.string() + " is not the bitcode it was made from (expected " +
        std::to_string(source_size) + " decoded bytes)");
  ScratchFiles scratch(dest);
  const std::filesystem::path source_decoded = scratch.make(".source-decoded");
  write_scratch(source_decoded, *s);
  const std::filesystem::path inner = copy_inner_patch(in, kHeaderSize, scratch);
  const std::filesystem::path target_decoded = scratch.make(".target-decoded");
  apply_inner_patch(inner_code, source_decoded, inner, target_decoded, target_size, Durability::kScratch, name);

  const std::string bitcode =
      encode_bitcode(read_whole(target_decoded, target_size, ErrorCode::kVerification), expected_size, name);
  if (bitcode.size() != expected_size)
    bad("rebuilt " + std::to_string(bitcode.size()) + " bytes, expected " + std::to_string(expected_size));
  OutputFile out(dest);
  out.write(bitcode.data(), bitcode.size());
  return out.commit();
}

}  // namespace upkeep::delta

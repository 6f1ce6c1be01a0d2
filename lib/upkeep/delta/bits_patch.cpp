#include "upkeep/delta/bits_patch.h"

#include <array>
#include <cstring>
#include <vector>

#include "upkeep/base/error.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/inner_patch.h"
#include "upkeep/delta/io.h"

namespace upkeep::delta {

namespace {

constexpr char kBitsPatchMagic[8] = {'U', 'P', 'K', 'B', 'I', 'T', '0', '1'};
constexpr size_t kBitsPatchHeaderSize = 8 + 1 + 8;

}  // namespace

bool is_bit_stream(const std::filesystem::path& file) {
  InputFile in(file);
  unsigned char m[4] = {};
  if (in.read_at(0, m, 4) != 4) return false;
  static constexpr unsigned char kRaw[4] = {'B', 'C', 0xC0, 0xDE};
  static constexpr unsigned char kWrapper[4] = {0xDE, 0xC0, 0x17, 0x0B};
  return std::memcmp(m, kRaw, 4) == 0 || std::memcmp(m, kWrapper, 4) == 0;
}

void write_bit_shifted(const std::filesystem::path& source, const std::filesystem::path& dest) {
  InputFile in(source);
  if (in.size() > kMaxBitsPatchSource)
    fail(ErrorCode::kUsage, source.string() + ": " + std::to_string(in.size()) +
                                " bytes is more than a bit-shift patch allows (" + std::to_string(kMaxBitsPatchSource) +
                                ")");
  std::vector<unsigned char> src(static_cast<size_t>(in.size()));
  if (in.read_at(0, src.data(), src.size()) != src.size())
    fail(ErrorCode::kFailure, source.string() + ": changed size while being read");
  OutputFile out(dest, Durability::kScratch);
  out.write(src.data(), src.size());
  std::vector<unsigned char> shifted(src.size());
  for (int k = 1; k < 8; ++k) {
    // Bit j of the copy is bit j + k of the source: the stream read from
    // the least significant bit of each byte, as LLVM's bitstream reader does.
    for (size_t i = 0; i < src.size(); ++i) {
      const unsigned next = i + 1 < src.size() ? src[i + 1] : 0u;
      shifted[i] = static_cast<unsigned char>((src[i] >> k) | (next << (8 - k)));
    }
    out.write(shifted.data(), shifted.size());
  }
  out.commit();
}

bool make_bits_patch(const std::filesystem::path& source, const std::filesystem::path& target,
                     const std::filesystem::path& dest) {
  const uint64_t source_size = std::filesystem::file_size(source);
  if (source_size == 0 || source_size > kMaxBitsPatchSource) return false;
  ScratchFiles scratch(dest);
  const std::filesystem::path shifted = scratch.make(".shifted");
  write_bit_shifted(source, shifted);
  const InnerPatch inner = make_inner_patch(shifted, target, scratch);

  std::string head(kBitsPatchMagic, sizeof kBitsPatchMagic);
  put_le(head, static_cast<uint64_t>(inner.algorithm), 1);
  put_le(head, source_size, 8);
  OutputFile out(dest);
  out.write(head.data(), head.size());
  append_file(out, InputFile(inner.file));
  out.commit();
  return true;
}

std::string apply_bits_patch(const std::filesystem::path& source, const std::filesystem::path& patch,
                             const std::filesystem::path& dest, uint64_t expected_size) {
  const std::string name = patch.string();
  auto bad = [&](const std::string& why) { fail(ErrorCode::kVerification, name + ": " + why); };
  InputFile in(patch);
  std::array<unsigned char, kBitsPatchHeaderSize> head{};
  if (in.read_at(0, head.data(), head.size()) != head.size() || std::memcmp(head.data(), kBitsPatchMagic, 8) != 0)
    bad("not a bit-shift patch (expected the header UPKBIT01)");
  const PatchAlgorithm inner_code = inner_algorithm(head[8], name);
  const uint64_t source_size = get_le(head.data() + 9, 8);
  if (source_size == 0 || source_size > kMaxBitsPatchSource)
    bad("a source of " + std::to_string(source_size) + " bytes, expected 1 to " + std::to_string(kMaxBitsPatchSource));
  const uint64_t held = std::filesystem::file_size(source);
  if (held != source_size)
    bad("its source " + source.string() + " is " + std::to_string(held) + " bytes, the patch was made from " +
        std::to_string(source_size));

  ScratchFiles scratch(dest);
  const std::filesystem::path shifted = scratch.make(".shifted");
  write_bit_shifted(source, shifted);
  const std::filesystem::path inner = copy_inner_patch(in, kBitsPatchHeaderSize, scratch);
  return apply_inner_patch(inner_code, shifted, inner, dest, expected_size, Durability::kDurable, name);
}

}  // namespace upkeep::delta

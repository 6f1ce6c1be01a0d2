// fuzz_make_patch_seeds: writes the seeds of the patch fuzz targets
// (tests/fuzz/patch_fuzzing.h's layout) with the library's own patch
// makers, as the publisher makes them, for a source and a target file.
// Used by tests/fuzz/make_corpus.sh.
//
//   fuzz_make_patch_seeds SOURCE TARGET OUT_CORPUS_DIR NAME
//   writes OUT_CORPUS_DIR/<algorithm>_patch/NAME for each algorithm that
//   makes a patch for this pair (the others decline).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "upkeep/delta/codec.h"
#include "upkeep/delta/io.h"

namespace {

namespace stdfs = std::filesystem;
using upkeep::delta::PatchAlgorithm;

std::string read(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The fuzz target of each algorithm (tests/fuzz/delta/<name>_patch_fuzzer.cpp).
const char* target_name(PatchAlgorithm a) {
  switch (a) {
    case PatchAlgorithm::kZstd:
      return "zstd_patch";
    case PatchAlgorithm::kBsdiff:
      return "suffix_patch";
    case PatchAlgorithm::kGzip:
      return "gzip_patch";
    case PatchAlgorithm::kBits:
      return "bits_patch";
    case PatchAlgorithm::kBitcode:
      return "bitcode_patch";
    case PatchAlgorithm::kMo:
      return "mo_patch";
    case PatchAlgorithm::kElf:
      return "elf_patch";
    default:
      break;
  }
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: fuzz_make_patch_seeds SOURCE TARGET OUT_CORPUS_DIR NAME\n");
    return 2;
  }
  const stdfs::path source = argv[1], target = argv[2], out = argv[3];
  const std::string source_bytes = read(source);
  const uint64_t target_size = stdfs::file_size(target);
  for (PatchAlgorithm a : {PatchAlgorithm::kZstd, PatchAlgorithm::kBsdiff, PatchAlgorithm::kGzip, PatchAlgorithm::kBits,
                           PatchAlgorithm::kBitcode, PatchAlgorithm::kMo, PatchAlgorithm::kElf}) {
    const stdfs::path patch = out / "patch.tmp";
    if (!upkeep::delta::make_patch(a, source, target, patch)) continue;
    std::string seed;
    upkeep::delta::put_le(seed, target_size, 4);
    upkeep::delta::put_le(seed, source_bytes.size(), 4);
    seed += source_bytes + read(patch);
    stdfs::remove(patch);
    stdfs::create_directories(out / target_name(a));
    std::ofstream(out / target_name(a) / argv[4], std::ios::binary) << seed;
    std::printf("%s/%s: %zu bytes\n", target_name(a), argv[4], seed.size());
  }
  return 0;
}

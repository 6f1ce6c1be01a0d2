// fuzz_replay: every fuzz target of tests/fuzz/ without libFuzzer. Feeds each
// file of the folders (or the files) named after the target to its
// LLVMFuzzerTestOneInput, one by one, in name order. A crash or an uncaught
// exception ends the program, as it would end the fuzzer; an exit code of 1
// means no input was found (a target without seeds tests nothing).
//
//   fuzz_replay TARGET PATH...   PATH: a folder of inputs or one input file
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#define UPKEEP_FUZZ_TARGET(name) extern "C" int upkeep_fuzz_##name(const uint8_t* data, size_t size);
#include "fuzz_targets.inc"
#undef UPKEEP_FUZZ_TARGET

namespace {

namespace stdfs = std::filesystem;
using Entry = int (*)(const uint8_t*, size_t);

struct Target {
  const char* name;
  Entry entry;
};

const Target kTargets[] = {
#define UPKEEP_FUZZ_TARGET(name) {#name, upkeep_fuzz_##name},
#include "fuzz_targets.inc"
#undef UPKEEP_FUZZ_TARGET
};

std::vector<stdfs::path> inputs_of(const std::vector<stdfs::path>& paths) {
  std::vector<stdfs::path> out;
  for (const stdfs::path& p : paths) {
    std::error_code ec;
    if (stdfs::is_directory(p, ec)) {
      for (const auto& e : stdfs::recursive_directory_iterator(p))
        if (e.is_regular_file()) out.push_back(e.path());
    } else if (stdfs::is_regular_file(p, ec)) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_replay TARGET PATH...\n");
    return 2;
  }
  const Target* target = nullptr;
  for (const Target& t : kTargets)
    if (std::strcmp(t.name, argv[1]) == 0) target = &t;
  if (!target) {
    std::fprintf(stderr, "fuzz_replay: no target '%s'\n", argv[1]);
    return 2;
  }
  const std::vector<stdfs::path> inputs = inputs_of(std::vector<stdfs::path>(argv + 2, argv + argc));
  for (const stdfs::path& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s: %s (%zu bytes)\n", target->name, p.c_str(), bytes.size());
    target->entry(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%s: %zu inputs replayed\n", target->name, inputs.size());
  return inputs.empty() ? 1 : 0;
}

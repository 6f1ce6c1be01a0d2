#include "upkeep/publish/compression_preset.h"

namespace upkeep::publish {

namespace {

struct Preset {
  CompressionPreset preset;
  const char* name;
  int blob_level;
  delta::ZstdTuning tuning;
  int package_level;
};

// On shared libraries (docs/benchmarks.md, "Release speed"), the bytes zstd
// saves from level 16 up come mostly from matches of 3 bytes, which machine
// code is full of, and from repeats further back than level 16's 4 MiB
// window in the large libraries: level 16 with a minimum match of 3, a
// shallower search and a 32 MiB window came out 2.8 % above level 19 at
// 0.46x its time, smaller than plain level 17 (+4.6 %) and cheaper. Clients
// decode a blob with a window of at most 32 MiB (or the file's size).
constexpr Preset kPresets[] = {
    {CompressionPreset::kFast, "fast", 3, {}, 1},
    {CompressionPreset::kDefault, "default", 16, {.min_match = 3, .search_log = 3, .window_log = 25}, 6},
    {CompressionPreset::kMax, "max", 19, {}, 6},
};

const Preset& preset_of(CompressionPreset p) {
  for (const Preset& x : kPresets)
    if (x.preset == p) return x;
  return kPresets[1];
}

}  // namespace

std::optional<CompressionPreset> parse_compression_preset(std::string_view name) {
  for (const Preset& x : kPresets)
    if (name == x.name) return x.preset;
  return std::nullopt;
}

const char* compression_preset_name(CompressionPreset p) { return preset_of(p).name; }

const char* compression_preset_choices() { return "fast|default|max"; }

int blob_level(CompressionPreset p) { return preset_of(p).blob_level; }

delta::ZstdTuning blob_tuning(CompressionPreset p) { return preset_of(p).tuning; }

int package_level(CompressionPreset p) { return preset_of(p).package_level; }

}  // namespace upkeep::publish

#include "upkeep/publish/compression_preset.h"

namespace upkeep::publish {

namespace {

struct Preset {
  CompressionPreset preset;
  const char* name;
  int blob_level;
  int package_level;
};

// The levels: docs/benchmarks.md, "Release speed", has the curve they come from.
constexpr Preset kPresets[] = {
    {CompressionPreset::kFast, "fast", 3, 1},
    {CompressionPreset::kDefault, "default", 15, 6},
    {CompressionPreset::kMax, "max", 19, 6},
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

int package_level(CompressionPreset p) { return preset_of(p).package_level; }

}  // namespace upkeep::publish

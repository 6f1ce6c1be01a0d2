// CompressionPreset: how hard `upkeep release` compresses (`--compression
// fast|default|max`). It sets the zstd level of the release's blobs, which
// are what delta clients download, and the deflate level of package.zip.
// Patches are always made at the codecs' own (highest) levels: they are
// small, and their bytes are downloaded by every updating client.
//
// The default is chosen from the measured curve of bytes against time on
// real shared libraries (docs/benchmarks.md, "Release speed"): the setting
// nearest `max`'s bytes at about half its time. Enum values are not stored.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "upkeep/delta/codec.h"

namespace upkeep::publish {

enum class CompressionPreset { kFast, kDefault, kMax };

// "fast", "default" or "max"; nullopt for anything else.
std::optional<CompressionPreset> parse_compression_preset(std::string_view name);
const char* compression_preset_name(CompressionPreset p);
// "fast|default|max", for usage lines and errors.
const char* compression_preset_choices();

// The zstd level of the release's blobs (1-19), and the parameters set apart from it.
int blob_level(CompressionPreset p);
delta::ZstdTuning blob_tuning(CompressionPreset p);
// The deflate level of package.zip (1-9).
int package_level(CompressionPreset p);

}  // namespace upkeep::publish

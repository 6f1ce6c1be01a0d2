#include "upkeep/install/kept_manifest.h"

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

namespace upkeep {

void KeptManifest::save(const FileManifest& manifest, std::string_view text) const {
  save_launch(manifest);
  fs::write_file_atomic(layout_.manifest_file(manifest.version()), text);
}

void KeptManifest::save_launch(const FileManifest& manifest) const {
  const std::filesystem::path file = layout_.launch_file(manifest.version());
  if (manifest.launch())
    manifest.launch()->save(file);
  else
    fs::remove_tree(file);
}

bool KeptManifest::launch_matches(const FileManifest& manifest) const {
  try {
    return LaunchSpec::read(layout_.launch_file(manifest.version())) == manifest.launch();
  } catch (const Error&) {
    return false;  // damaged
  }
}

void KeptManifest::remove(const std::string& version) const {
  fs::remove_tree(layout_.launch_file(version));
  fs::remove_tree(layout_.manifest_file(version));
}

}  // namespace upkeep

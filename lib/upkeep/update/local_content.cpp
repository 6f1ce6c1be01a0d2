#include "upkeep/update/local_content.h"

#include <spdlog/spdlog.h>

#include "upkeep/base/json_entry_reader.h"
#include "upkeep/install/manifest.h"
#include "upkeep/platform/fs.h"

namespace upkeep {
namespace stdfs = std::filesystem;

LocalContent LocalContent::of_install(const Layout& layout, const std::string& without) {
  LocalContent out;
  std::vector<std::string> versions;
  auto current = layout.current_version();
  if (current && *current != without) versions.push_back(*current);
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(layout.versions_dir(), ec)) {
    std::string v = e.path().filename().string();
    if (v != current && v != without && e.is_directory(ec)) versions.push_back(v);
  }
  for (const auto& v : versions) {
    try {
      auto m = FileManifest::parse(fs::read_file(layout.manifest_file(v)), layout.manifest_file(v).string());
      for (const auto& f : m.files())
        if (!f.is_link()) out.add(f.sha256, {layout.version_dir(v) / f.path, f.size, f.mode});
    } catch (const std::exception& e) {
      spdlog::warn("delta: the files of version {} are not used as a source: {}", v, e.what());
    }
  }
  return out;
}

void LocalContent::add(const std::string& sha256, LocalFile f) { files_.emplace(sha256, std::move(f)); }

void LocalContent::add_objects(const stdfs::path& dir) {
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!is_lower_hex_sha256(name) || !e.is_regular_file(ec)) continue;  // e.g. a temporary file of a killed run
    uint64_t size = e.file_size(ec);
    if (ec) continue;
    add(name, {e.path(), size, fs::file_mode(e.path())});
  }
}

const LocalFile* LocalContent::find(std::string_view sha256) const {
  auto it = files_.find(std::string(sha256));
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace upkeep

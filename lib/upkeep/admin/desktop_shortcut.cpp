#include "upkeep/admin/desktop_shortcut.h"

#include "upkeep/base/error.h"
#include "upkeep/platform/fs.h"

namespace upkeep::admin {

namespace stdfs = std::filesystem;

void remove_shortcut(const std::optional<stdfs::path>& desktop_entry, const std::optional<stdfs::path>& icon) {
  std::error_code ec;
  if (desktop_entry) stdfs::remove(*desktop_entry, ec);
  if (icon) stdfs::remove(*icon, ec);
}

InstalledShortcut install_shortcut(const DesktopEntry& entry, const stdfs::path& version_dir,
                                   const InstallPaths& paths) {
  InstalledShortcut out;
  out.desktop_entry = paths.applications_dir / (entry.app_id + ".desktop");
  try {
    if (entry.icon_path) {
      const stdfs::path src = version_dir / *entry.icon_path;
      const stdfs::path canonical_dir = stdfs::weakly_canonical(version_dir);
      const stdfs::path canonical_src = stdfs::weakly_canonical(src);
      const auto rel = canonical_src.lexically_relative(canonical_dir);
      if (rel.empty() || *rel.begin() == ".." || stdfs::is_symlink(src) || !stdfs::is_regular_file(src))
        fail(ErrorCode::kBadInput, "desktop entry: the icon " + *entry.icon_path + " is not a file of the release");
      const IconKind kind = icon_kind(src);
      out.icon = paths.icons_dir / "hicolor" / kind.size_dir / "apps" / (entry.app_id + kind.extension);
      fs::create_directories_durable(out.icon->parent_path());
      fs::write_file_atomic(*out.icon, fs::read_file(src, 16u << 20), 0644);
    }
    fs::create_directories_durable(paths.applications_dir);
    fs::write_file_atomic(out.desktop_entry, entry.render(), 0644);
  } catch (...) {
    remove_shortcut(out.desktop_entry, out.icon);
    throw;
  }
  return out;
}

}  // namespace upkeep::admin

#include "upkeep/admin/shared_root.h"

#include "upkeep/base/error.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/platform/fs.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

void share_with_every_user(const Layout& layout) {
  const stdfs::path& root = layout.root();
  if (!stdfs::exists(layout.running_lock_file())) fs::write_file_atomic(layout.running_lock_file(), "", 0644);
  fs::set_file_mode(root, 0755);
  std::error_code ec;
  for (auto it = stdfs::recursive_directory_iterator(root, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec)) {
    const stdfs::file_status st = it->symlink_status();
    if (stdfs::is_directory(st)) {
      fs::set_file_mode(it->path(), 0755);
      continue;
    }
    if (!stdfs::is_regular_file(st)) continue;
    const stdfs::path top = *it->path().lexically_relative(root).begin();
    if (top == "versions" || top == "staging") continue;                   // signed modes
    if (it->path() == net::CredentialStore::install_file(root)) continue;  // secrets stay 0600, root's alone
    const bool runnable = (st.permissions() & stdfs::perms::owner_exec) != stdfs::perms::none;
    fs::set_file_mode(it->path(), runnable ? 0755 : 0644);
  }
  if (ec) fail(ErrorCode::kFailure, "cannot list " + root.string() + " to open it to every user: " + ec.message());
}

}  // namespace upkeep::admin

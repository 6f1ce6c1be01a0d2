#include "upkeep/admin/version_repair.h"

#include <spdlog/spdlog.h>

#include <set>

#include "upkeep/admin/install_record.h"
#include "upkeep/admin/shared_root.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/kept_manifest.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/install_lock.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/update/local_content.h"
#include "upkeep/update/package.h"
#include "upkeep/update/stager.h"

namespace upkeep::admin {
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kMaxManifestBytes = 64u << 20;
constexpr const char* kRepairSuffix = ".upkeep-repair";  // a file being put back; unlisted, so removed by a re-run

// Copies `from` to `to` (which must not exist), checking the bytes against
// `f`'s signed hash and size on the way; false when they differ.
bool copy_verified(const stdfs::path& from, const FileEntry& f, const stdfs::path& to) {
  std::error_code ec;
  stdfs::remove(to, ec);
  if (!stdfs::copy_file(from, to, ec) || ec) return false;
  if (stdfs::file_size(to, ec) != f.size || hash_file_hex(to) != f.sha256) {
    stdfs::remove(to, ec);
    return false;
  }
  fs::fsync_file(to);
  return true;
}

// Puts a verified file (`tmp`, beside its final place) in: its mode, then a
// rename (inspect() listed anything else at `dest`, a folder say, as a
// stray, and restore() removed it first).
void put_in(const stdfs::path& tmp, const FileEntry& f, const stdfs::path& dest) {
  fs::set_file_mode(tmp, f.mode);
  fs::rename_durable(tmp, dest);
}

}  // namespace

VersionRepair::VersionRepair(Layout layout, net::Fetcher& fetcher, UpdateObserver& observer)
    : layout_(std::move(layout)), fetcher_(fetcher), observer_(observer) {}

RepairResult VersionRepair::run() {
  if (!stdfs::exists(layout_.config_file()))
    fail(ErrorCode::kNotFound, layout_.root().string() + " is not an install root (no config.json)");
  const auto version = layout_.current_version();
  if (!version) fail(ErrorCode::kNotFound, layout_.root().string() + " has no current version to repair");
  InstallRecord::require_rights(layout_.root(), "repairing it");
  auto lock = InstallLock::acquire(layout_.lock_file(), std::chrono::seconds(30));
  RepairResult result;
  result.version = *version;
  const FileManifest manifest = trusted_manifest(*version, result);
  const stdfs::path dir = layout_.version_dir(*version);
  result.checked = manifest.files().size();
  const Damage damage = inspect(manifest, dir);
  restore(manifest, damage, result);
  if (!KeptManifest(layout_).launch_matches(manifest)) {
    spdlog::warn("repair: {} did not hold the signed launch spec", layout_.launch_file(*version).string());
    KeptManifest(layout_).save_launch(manifest);
    result.launch_restored = true;
  }
  // Every byte was hashed by inspect() or, for what was put back, while it
  // was written: the confirmation checks names, types, sizes and modes.
  manifest.verify_directory(dir, FileManifest::Depth::kQuick);
  if (!result.intact()) {
    StateStore store = StateRecovery(layout_).open();
    store.add_event("repaired", *version,
                    std::to_string(result.restored.size()) + " restored, " + std::to_string(result.modes.size()) +
                        " modes set, " + std::to_string(result.removed.size()) + " removed" +
                        (result.manifest_refetched ? ", manifest fetched again" : "") +
                        (result.launch_restored ? ", launch spec restored" : ""));
  }
  // A per-machine root stays open to every user (and regains a lost .running).
  if (const auto record = InstallRecord::load(layout_.root()); record && record->scope == InstallScope::kSystem)
    share_with_every_user(layout_);
  spdlog::info("repair of {} {}: {} files checked, {} restored, {} modes, {} removed", layout_.root().string(),
               *version, result.checked, result.restored.size(), result.modes.size(), result.removed.size());
  return result;
}

const ReleaseInfo& VersionRepair::signed_release(const std::string& version) {
  if (release_) return *release_;
  const Config config = Config::load(layout_.config_file());
  const std::string repo = ManagedPolicy::effective_settings(layout_, config).repository_url;
  client_ = std::make_unique<tuf::Client>(layout_.trust_dir(), RepositoryLayout::metadata_url(repo),
                                          RepositoryLayout::targets_url(repo), fetcher_);
  client_->refresh();
  SelectionCriteria c{.app_id = config.app_id, .platform = config.platform, .channel = config.channel};
  c.exact_version = version;
  release_ = select_release(client_->targets(), c);
  if (!release_)
    fail(ErrorCode::kNotFound, "version " + version + " of " + config.app_id + " for " + config.platform +
                                   " is no longer in the repository " + repo + ": cannot fetch what is damaged");
  return *release_;
}

FileManifest VersionRepair::trusted_manifest(const std::string& version, RepairResult& result) {
  const stdfs::path file = layout_.manifest_file(version);
  std::string recorded;
  {
    StateStore store = StateRecovery(layout_).open();
    if (auto r = store.get(version)) recorded = r->manifest_sha256;
  }
  std::error_code ec;
  if (!recorded.empty() && stdfs::is_regular_file(file, ec)) {
    const std::string text = fs::read_file(file, kMaxManifestBytes);
    if (sha256_hex(text) == recorded) return FileManifest::parse(text, file.string());
  }

  spdlog::warn("{}: {}; fetching the signed manifest again", file.string(),
               recorded.empty() ? "no signed hash is recorded for it" : "missing or not its signed hash");
  const ReleaseInfo& release = signed_release(version);
  const stdfs::path tmp = file.string() + kRepairSuffix;
  stdfs::remove(tmp, ec);
  fetcher_.download(client_->target_url(release.manifest), tmp, release.manifest.length, release.manifest.sha256(),
                    nullptr);
  const std::string text = fs::read_file(tmp, kMaxManifestBytes);
  FileManifest manifest = FileManifest::parse(text, tmp.string());
  if (manifest.version() != version)
    fail(ErrorCode::kVerification, "the signed manifest of " + version + " names version " + manifest.version());
  if (!recorded.empty() && recorded != release.manifest.sha256())
    fail(ErrorCode::kVerification, "the repository's signed manifest of " + version + " (sha256 " +
                                       release.manifest.sha256() + ") is not the one installed (" + recorded + ")");
  KeptManifest(layout_).save(manifest, text);
  stdfs::remove(tmp, ec);
  result.manifest_refetched = true;
  return manifest;
}

VersionRepair::Damage VersionRepair::inspect(const FileManifest& manifest, const stdfs::path& dir) const {
  Damage d;
  std::error_code ec;
  if (!stdfs::is_directory(stdfs::symlink_status(dir, ec))) fs::create_directories_durable(dir);
  std::set<std::string> dirs;
  for (const FileEntry& f : manifest.files())
    for (auto p = stdfs::path(f.path).parent_path(); !p.empty(); p = p.parent_path()) dirs.insert(p.generic_string());
  for (auto it = stdfs::recursive_directory_iterator(dir); it != stdfs::recursive_directory_iterator(); ++it) {
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    const auto type = it->symlink_status().type();
    const FileEntry* f = manifest.find(rel);
    const bool expected = type == stdfs::file_type::directory ? dirs.count(rel) > 0
                          : type == stdfs::file_type::symlink ? f && f->is_link()
                                                              : type == stdfs::file_type::regular && f && !f->is_link();
    if (!expected) {
      d.extra.push_back(rel);
      if (type == stdfs::file_type::directory) it.disable_recursion_pending();
    }
  }
  for (const FileEntry& f : manifest.files()) {
    const stdfs::path p = dir / f.path;
    const auto st = stdfs::symlink_status(p, ec);
    if (f.is_link()) {
      if (st.type() != stdfs::file_type::symlink || stdfs::read_symlink(p, ec).string() != f.link)
        d.content.push_back(&f);
      continue;
    }
    if (st.type() != stdfs::file_type::regular || stdfs::file_size(p, ec) != f.size || hash_file_hex(p) != f.sha256)
      d.content.push_back(&f);
    else if (fs::file_mode(p) != f.mode)
      d.mode.push_back(&f);
  }
  return d;
}

void VersionRepair::restore(const FileManifest& manifest, const Damage& damage, RepairResult& result) {
  const std::string version = manifest.version();
  const stdfs::path dir = layout_.version_dir(version);
  for (const std::string& rel : damage.extra) {
    spdlog::warn("repair: removing {} from version {} (not in its signed manifest)", rel, version);
    fs::remove_tree(dir / rel);
    result.removed.push_back(rel);
  }
  for (const FileEntry* f : damage.mode) {
    spdlog::warn("repair: {} of version {} had the wrong mode", f->path, version);
    fs::set_file_mode(dir / f->path, f->mode);
    result.modes.push_back(f->path);
  }
  if (damage.content.empty()) return;

  // Local copies first: the same content in another kept version (a claim,
  // checked while copied), then the release's package.
  const LocalContent local = LocalContent::of_install(layout_, version);
  std::vector<const FileEntry*> from_package;
  for (const FileEntry* f : damage.content) {
    const stdfs::path dest = dir / f->path;
    const stdfs::path tmp = dest.string() + kRepairSuffix;
    fs::create_directories_durable(dest.parent_path());
    if (f->is_link()) {
      fs::replace_symlink(dest, f->link);  // a wrong link is replaced; anything else there was an extra, removed
      spdlog::warn("repair: restored link {} -> {} of version {}", f->path, f->link, version);
      result.restored.push_back(f->path);
      continue;
    }
    const LocalFile* held = local.find(f->sha256);
    if (held && copy_verified(held->path, *f, tmp)) {
      put_in(tmp, *f, dest);
      spdlog::warn("repair: restored {} of version {} from {}", f->path, version, held->path.string());
      result.restored.push_back(f->path);
    } else {
      from_package.push_back(f);
    }
  }
  if (from_package.empty()) return;
  // The staging lock keeps the launcher's clean-up of staging/ away from the download.
  auto staging_lock = InstallLock::acquire(layout_.staging_lock_file(), std::chrono::seconds(30));
  const stdfs::path package = layout_.staging_dir() / (version + ".repair.zip");
  fetch_package(version, package, result);
  for (const FileEntry* f : from_package) {
    const stdfs::path dest = dir / f->path;
    const stdfs::path tmp = dest.string() + kRepairSuffix;
    std::error_code ec;
    stdfs::remove(tmp, ec);
    extract_package_file(package, manifest, *f, tmp);
    put_in(tmp, *f, dest);
    spdlog::warn("repair: restored {} of version {} from its package", f->path, version);
    result.restored.push_back(f->path);
  }
  std::error_code ec;
  stdfs::remove(package, ec);
}

void VersionRepair::fetch_package(const std::string& version, const stdfs::path& dest, RepairResult& result) {
  const ReleaseInfo& release = signed_release(version);
  fs::create_directories_durable(dest.parent_path());
  ObserverProgress progress(observer_);
  auto got = fetcher_.download(client_->target_url(release.package), dest, release.package.length,
                               release.package.sha256(), &progress);
  result.bytes_downloaded += got.bytes_transferred;
}

}  // namespace upkeep::admin

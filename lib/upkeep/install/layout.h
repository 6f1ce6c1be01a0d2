// Layout: every path of an install root, derived from the root alone.
//
//   <root>/<app-id>          the launcher (stable path; any name works)
//   <root>/current           symlink -> versions/<v>, switched atomically
//   <root>/versions/<v>/     promoted versions, never modified after promotion
//   <root>/manifests/<v>.json the signed file manifest of each version
//   <root>/manifests/<v>.launch.json its launch spec (launch_spec.h), what the launcher reads
//   <root>/staging/          downloads (*.part) and versions being assembled
//   <root>/state.db          SQLite, the record of truth
//   <root>/trust/            TUF metadata (trusted root.json and the cache)
//   <root>/config.json       app id, repository, channel (from the installer)
//   <root>/logs/             rotating logs
//   <root>/trash/            what clean-up removes, moved aside and deleted later (trash.h)
//   <root>/.lock             the install lock; .staging.lock: a stager is at work;
//                            .trash.lock: the trash is being emptied
//   <root>/.pending          exists whenever state.db may hold work for the launcher
//   <root>/.running          per-machine installs: every running app holds a shared lock on it
//
// Immutable value; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace upkeep {

class Layout {
 public:
  explicit Layout(std::filesystem::path root) : root_(std::move(root)) {}
  // The root is the folder holding the launcher executable.
  static Layout from_executable(const std::filesystem::path& exe) { return Layout(exe.parent_path()); }

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path current_link() const { return root_ / "current"; }
  std::filesystem::path versions_dir() const { return root_ / "versions"; }
  std::filesystem::path version_dir(const std::string& v) const { return versions_dir() / v; }
  std::filesystem::path manifests_dir() const { return root_ / "manifests"; }
  std::filesystem::path manifest_file(const std::string& v) const { return manifests_dir() / (v + ".json"); }
  std::filesystem::path launch_file(const std::string& v) const { return manifests_dir() / (v + ".launch.json"); }
  std::filesystem::path staging_dir() const { return root_ / "staging"; }
  std::filesystem::path staged_dir(const std::string& v) const { return staging_dir() / v; }
  // The verified download of a version's package (its partial form adds ".part").
  std::filesystem::path package_download(const std::string& v) const { return staging_dir() / (v + ".package.zip"); }
  // The work folder of a delta download (fetched blobs and patches, rebuilt
  // files): kept across runs so an interrupted delta download resumes.
  std::filesystem::path delta_work_dir(const std::string& v) const { return staging_dir() / (v + ".delta"); }
  // The version a staging/ entry named like package_download() (or its
  // .part) or delta_work_dir() belongs to.
  static std::optional<std::string> download_version(const std::string& file_name);
  std::filesystem::path state_db() const { return root_ / "state.db"; }
  std::filesystem::path trust_dir() const { return root_ / "trust"; }
  std::filesystem::path config_file() const { return root_ / "config.json"; }
  std::filesystem::path logs_dir() const { return root_ / "logs"; }
  std::filesystem::path trash_dir() const { return root_ / "trash"; }
  std::filesystem::path trash_lock_file() const { return root_ / ".trash.lock"; }
  std::filesystem::path lock_file() const { return root_ / ".lock"; }
  std::filesystem::path staging_lock_file() const { return root_ / ".staging.lock"; }
  std::filesystem::path pending_marker() const { return root_ / ".pending"; }
  std::filesystem::path running_lock_file() const { return root_ / ".running"; }

  // The version `current` points at, from the link's target "versions/<v>";
  // nullopt when there is no link or it points elsewhere.
  std::optional<std::string> current_version() const;
  // This process may change the root: write the folder, its lock file and its
  // state database (another user's per-machine install: no). The one test of
  // who may apply (the launcher) and stage (UpdateService).
  bool writable_by_this_process() const;
  // Error for `action` (e.g. "--upkeep-rollback") on a root this process may not write:
  // kNeedsRoot for a user on a per-machine install, kPermission for root itself
  // (a read-only mount or an immutable folder: being root does not help).
  [[noreturn]] void fail_not_writable(const std::string& action) const;
  // Points `current` at versions/<v> atomically (relative link) and fsyncs the root.
  void switch_current(const std::string& v) const;

 private:
  std::filesystem::path root_;
};

}  // namespace upkeep

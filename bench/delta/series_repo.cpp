// SeriesRepo: see series_repo.h.
#include "series_repo.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bench_util.h"
#include "upkeep/base/error.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"
#include "upkeep/policy/config.h"

namespace upkeep::bench {

namespace {

// Runs argv to its end, output to `log`; throws with the log's tail unless it exits 0.
void run_ok(const std::vector<std::string>& argv, const stdfs::path& log) {
  process::SpawnOptions so;
  so.argv = argv;
  so.env = process::current_environment();
  auto r = process::run_captured(so, std::chrono::hours(1), 8192);
  fs::write_file_atomic(log, r.output_tail);
  if (!r.status.success())
    fail(ErrorCode::kFailure, stdfs::path(argv[0]).filename().string() + " " + (argv.size() > 1 ? argv[1] : "") + ": " +
                                  r.status.describe() + ":\n" + r.output_tail);
}

// A Debian package's folder has no program at its top (usr/bin/...): the
// first executable file by name is declared, which the benchmark never starts.
std::string first_executable(const stdfs::path& folder) {
  std::string best;
  for (const auto& e : stdfs::recursive_directory_iterator(folder)) {
    if (!e.is_regular_file() || e.is_symlink() || (fs::file_mode(e.path()) & 0111) == 0) continue;
    std::string rel = e.path().lexically_relative(folder).generic_string();
    if (best.empty() || rel < best) best = rel;
  }
  if (best.empty()) fail(ErrorCode::kNotFound, "delta_bench: " + folder.string() + " holds no executable file");
  return best;
}

}  // namespace

SeriesRepo::SeriesRepo(const stdfs::path& scratch, const std::string& app_id)
    : scratch_(scratch), bin_dir_(build_dir()), keys_(scratch / "keys"), repo_(scratch / "repo"), app_id_(app_id) {
  upkeep_ok({"keys", "init", "--app-id", app_id_, "--keys", keys_.string(), "--repo", repo_.string()});
  server_ = std::make_unique<net::RepoServer>(repo_);
  server_->start();
}

SeriesRepo::~SeriesRepo() {
  if (server_) server_->stop();
}

void SeriesRepo::upkeep_ok(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{(bin_dir_ / "upkeep").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  run_ok(argv, scratch_ / ("upkeep-" + args[0] + ".log"));
}

double SeriesRepo::release(const stdfs::path& folder, const std::string& version) {
  double t0 = now_ms();
  upkeep_ok({"release", folder.string(), "--version", version, "--keys", keys_.string(), "--repo", repo_.string(),
             "--program", first_executable(folder)});
  return (now_ms() - t0) / 1e3;
}

uint64_t SeriesRepo::package_length(const std::string& version) const {
  for (const auto& e : stdfs::recursive_directory_iterator(repo_ / "targets" / app_id_ / version))
    if (e.path().filename().string().find(".package.zip") != std::string::npos) return e.file_size();
  fail(ErrorCode::kNotFound, "delta_bench: no package of " + version);
}

uint64_t SeriesRepo::stored_delta_bytes() const {
  return tree_bytes(repo_ / "targets" / app_id_ / "blobs") + tree_bytes(repo_ / "targets" / app_id_ / "patches");
}

stdfs::path SeriesRepo::installed(const std::string& version) {
  stdfs::path root = scratch_ / ("installed-" + version);
  if (stdfs::exists(root)) return root;
  upkeep_ok({"install", "--repo", "http://127.0.0.1:" + std::to_string(server_->port()) + "/", "--prefix",
             root.string(), "--version", version, "--trusted-root", (repo_ / "metadata" / "1.root.json").string(),
             "--silent", "--no-shortcut"});
  return root;
}

StagingRun SeriesRepo::stage(const std::string& from, const std::string& to) {
  stdfs::path tmpl = installed(from);
  stdfs::path root = scratch_ / ("trial-" + std::to_string(++next_trial_));
  stdfs::copy(tmpl, root, stdfs::copy_options::recursive | stdfs::copy_options::copy_symlinks);
  ::sync();  // the copy's write-back must not land inside the timed run

  stdfs::path log = scratch_ / ("updater-" + std::to_string(next_trial_) + ".log");
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) fail(ErrorCode::kFailure, "cannot create " + log.string());
  process::SpawnOptions so;
  so.argv = {(root / "upkeep-updater").string(), "--root", root.string(), "--quiet", "--progress", "never"};
  so.env = process::current_environment();
  so.stdin_null = true;
  so.output_fd = log_fd;
  server_->reset_byte_counts();
  double t0 = now_ms();
  pid_t pid = static_cast<pid_t>(process::spawn(so));
  // wait4, not process::wait_child: the child's rusage is the peak-memory figure.
  int status = 0;
  rusage ru{};
  while (::wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR) fail(ErrorCode::kFailure, std::string("wait4: ") + std::strerror(errno));
  StagingRun r;
  r.ms = now_ms() - t0;
  ::close(log_fd);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(ErrorCode::kFailure, "upkeep-updater " + from + " -> " + to + " failed (status " + std::to_string(status) +
                                  "):\n" + fs::read_file(log));
  r.max_rss_kib = static_cast<uint64_t>(ru.ru_maxrss);
  r.bytes = server_->body_bytes_sent();
  r.package_bytes = server_->body_bytes_sent(".package.zip");
  r.blob_bytes = server_->body_bytes_sent("/blobs/");
  r.patch_bytes = server_->body_bytes_sent("/patches/");

  // The launcher's apply, then the result checked file by file, content included.
  Layout layout(root);
  {
    StateStore store(layout.state_db());
    Applier(layout, store, Config::load(layout.config_file()).max_update_failures).apply(to);
  }
  if (layout.current_version() != to)
    fail(ErrorCode::kVerification, "delta_bench: after the apply current is not " + to);
  FileManifest::parse(fs::read_file(layout.manifest_file(to)), layout.manifest_file(to).string())
      .verify_directory(layout.version_dir(to), FileManifest::Depth::kFull);
  fs::remove_tree(root);
  return r;
}

}  // namespace upkeep::bench

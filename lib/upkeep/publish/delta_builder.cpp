#include "upkeep/publish/delta_builder.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/parallel_for.h"
#include "upkeep/delta/codec.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"
#include "upkeep/publish/undo.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/update/package.h"

namespace upkeep::publish {
namespace stdfs = std::filesystem;

namespace {

delta::Stored stored_of(const stdfs::path& file) { return {stdfs::file_size(file), hash_file_hex(file)}; }

// REPO/.delta-work-<pid>: outside targets/ (never served), on the store's
// file system (renames are atomic). Removed on destruction in any case.
class WorkDir {
 public:
  explicit WorkDir(const stdfs::path& repo) : dir_(repo / (".delta-work-" + std::to_string(process::current_pid()))) {
    fs::remove_tree(dir_.path());  // left over from a crashed run with the same pid
    fs::create_directories_durable(dir_.path());
  }
  // A fresh name in the folder; nothing is created. Thread-safe.
  stdfs::path next(const char* kind) { return dir_.path() / (std::to_string(++count_) + "." + kind); }

 private:
  fs::RemoveTreeOnExit dir_;
  std::atomic<uint64_t> count_ = 0;
};

void remove_quietly(const stdfs::path& p) {
  std::error_code ec;
  stdfs::remove(p, ec);
}

// Final name of a checked file: readable by the web server, fsynced, renamed.
void publish_file(const stdfs::path& tmp, const stdfs::path& final_path, Undo& created,
                  const stdfs::path& targets_dir) {
  fs::set_file_mode(tmp, 0644);
  fs::fsync_file(tmp);
  created.make_dirs(targets_dir, final_path.parent_path().lexically_relative(targets_dir));
  fs::rename_durable(tmp, final_path);
  created.created(final_path);
}

// Algorithms clients from before them skip as unknown (they keep a route of
// an older algorithm beside them; zstd-long is not among them: older clients
// could not apply a patch of its sizes in any algorithm they know).
bool is_newer_algorithm(delta::PatchAlgorithm a) { return a == delta::PatchAlgorithm::kElf; }

// One candidate patch: a source and an algorithm. Either already in the
// store (`existing`) or just computed into the work folder.
struct Attempt {
  delta::PatchAlgorithm algorithm;
  stdfs::path file;
  bool existing = false;
  delta::Stored stored;
};

// The algorithms tried for a pair: each declines what it cannot express.
std::vector<delta::PatchAlgorithm> candidate_algorithms(const FileEntry& s, const stdfs::path& target,
                                                        uint64_t target_size) {
  std::vector<delta::PatchAlgorithm> algorithms;
  // A large pair gets zstd-long, which clients from before it skip (they would refuse the size).
  const bool zstd_fits = s.size <= delta::kMaxZstdPatchSource && target_size <= delta::kMaxZstdPatchSource;
  algorithms.push_back(zstd_fits ? delta::PatchAlgorithm::kZstd : delta::PatchAlgorithm::kZstdLong);
  if (s.size <= delta::kMaxSuffixSortSource) algorithms.push_back(delta::PatchAlgorithm::kBsdiff);
  algorithms.push_back(delta::PatchAlgorithm::kGzip);  // declines unless both are .gz files it can rebuild
  if (delta::is_bit_stream(target)) {
    if (s.size <= delta::kMaxBitsPatchSource && target_size <= delta::kMaxZstdPatchSource)
      algorithms.push_back(delta::PatchAlgorithm::kBits);
    algorithms.push_back(delta::PatchAlgorithm::kBitcode);  // declines unless both decode and encode back exactly
  }
  // An executable-aware patch: code moved by a small change costs nothing (delta/elf_patch.h).
  if (target_size >= delta::kMinElfPatchFile && s.size >= delta::kMinElfPatchFile && delta::is_x86_64_elf(target))
    algorithms.push_back(delta::PatchAlgorithm::kElf);  // declines unless the source is one too
  if (delta::is_mo_file(target))
    algorithms.push_back(delta::PatchAlgorithm::kMo);  // declines unless both decode and encode back exactly

  return algorithms;
}

// The state of one build() call. put_blob() may run on several threads at
// once; everything else runs on the calling thread, after them.
class Build {
 public:
  Build(const stdfs::path& repo, const std::string& app, const stdfs::path& build_dir, const BlobCompression& z)
      : targets_(RepositoryLayout::targets_dir(repo)), app_(app), build_dir_(build_dir), z_(z), work_(repo) {}

  // Writes and checks c's blob in the work folder (any thread); it gets its
  // final name in publish_blobs(), which the caller runs after every put_blob.
  delta::Stored put_blob(const FileEntry& c, DeltaStats& stats);
  // One sync of the work folder for all the blobs, then their renames.
  void publish_blobs();
  // The smallest patch from s to c, and, when that is of an algorithm older
  // clients do not know (is_newer_algorithm), the smallest they do know too:
  // they skip the first and would otherwise fetch the blob.
  std::vector<delta::PatchRoute> best_patches(const FileEntry& s, const PriorRelease& prior, const FileEntry& c,
                                              uint64_t blob_length, DeltaStats& stats);
  // Hands what was created over to `out`; nothing is removed any more.
  void keep(DeltaBuild& out) {
    out.created_files = created_.created_files();
    out.created_dirs = created_.created_dirs();
    created_.commit();
  }

 private:
  std::optional<stdfs::path> source_bytes(const FileEntry& s, const PriorRelease& prior);
  // Decodes `file` (a blob, or a patch from `source`) into the work folder
  // and checks it rebuilds `c`; the decoded copy is removed again.
  void check_decodes(const stdfs::path& file, const FileEntry& c, const stdfs::path* source,
                     delta::PatchAlgorithm a = delta::PatchAlgorithm::kZstd);

  stdfs::path targets_;
  std::string app_;
  stdfs::path build_dir_;
  BlobCompression z_;
  std::mutex lock_;  // guards pending_ and the stats while blobs are made in parallel
  std::vector<std::pair<stdfs::path, stdfs::path>> pending_;  // checked blobs: work file, final name
  Undo created_;                                              // declared before work_: the work folder goes first
  WorkDir work_;
  std::map<std::string, std::optional<stdfs::path>> sources_;  // content sha -> its bytes in the work folder
};

void Build::check_decodes(const stdfs::path& file, const FileEntry& c, const stdfs::path* source,
                          delta::PatchAlgorithm a) {
  const stdfs::path out = work_.next("check");
  const std::string got =
      source ? delta::apply_patch(a, *source, file, out, c.size) : delta::decompress_blob(file, out, c.size);
  remove_quietly(out);
  if (got != c.sha256)
    fail(ErrorCode::kVerification,
         (source ? std::string("a ") + delta::algorithm_name(a) + " patch" : std::string("the blob")) + " of " +
             (build_dir_ / c.path).string() + " decodes to content " + got + ", expected " + c.sha256 +
             " as in files.json (was the file changed while the release was published?)");
}

delta::Stored Build::put_blob(const FileEntry& c, DeltaStats& stats) {
  const stdfs::path final_path = targets_ / delta::blob_target_path(app_, c.sha256);
  if (stdfs::exists(final_path)) {  // content addressing: the same bytes, written by an earlier release
    delta::Stored stored = stored_of(final_path);
    std::lock_guard guard(lock_);
    ++stats.blobs_reused;
    stats.blob_bytes += stored.length;
    return stored;
  }
  const stdfs::path tmp = work_.next("zst");
  // The blob's hash comes from its writing: the file is not read again for it.
  const std::string sha = delta::compress_blob(build_dir_ / c.path, tmp, z_.level, z_.threads, z_.tuning);
  check_decodes(tmp, c, nullptr);
  fs::set_file_mode(tmp, 0644);
  const delta::Stored stored{stdfs::file_size(tmp), sha};
  std::lock_guard guard(lock_);
  pending_.emplace_back(tmp, final_path);
  ++stats.blobs_written;
  stats.blob_bytes_written += stored.length;
  stats.blob_bytes += stored.length;
  return stored;
}

void Build::publish_blobs() {
  if (pending_.empty()) return;
  // Durable per release, not per blob: one sync of the work folder's file
  // system, then renames, then one fsync of each folder they went into. A
  // final name never holds a blob whose bytes are not on disk.
  fs::sync_tree(pending_.front().first.parent_path());
  std::set<stdfs::path> folders;
  for (const auto& [tmp, final_path] : pending_) {
    created_.make_dirs(targets_, final_path.parent_path().lexically_relative(targets_));
    fs::rename_file(tmp, final_path);
    created_.created(final_path);
    folders.insert(final_path.parent_path());
  }
  pending_.clear();
  for (const stdfs::path& folder : folders) fs::fsync_dir(folder);
}

std::optional<stdfs::path> Build::source_bytes(const FileEntry& s, const PriorRelease& prior) {
  auto it = sources_.find(s.sha256);
  if (it != sources_.end()) return it->second;
  std::optional<stdfs::path> out = work_.next("source");
  const stdfs::path blob = targets_ / delta::blob_target_path(app_, s.sha256);
  if (stdfs::exists(blob)) {
    const std::string got = delta::decompress_blob(blob, *out, s.size);
    if (got != s.sha256) {
      remove_quietly(*out);
      fail(ErrorCode::kVerification, blob.string() + " decodes to content " + got + ", expected " + s.sha256 +
                                         " (its name): the blob store is damaged; restore the file from a backup");
    }
  } else if (!prior.package_file.empty() && stdfs::exists(prior.package_file)) {
    extract_package_file(prior.package_file, prior.manifest, s, *out);  // a release from before deltas
  } else {
    out.reset();
  }
  sources_.emplace(s.sha256, out);
  return out;
}

std::vector<delta::PatchRoute> Build::best_patches(const FileEntry& s, const PriorRelease& prior, const FileEntry& c,
                                                   uint64_t blob_length, DeltaStats& stats) {
  const std::vector<delta::PatchAlgorithm> algorithms = candidate_algorithms(s, build_dir_ / c.path, c.size);
  std::vector<Attempt> attempts;
  std::optional<stdfs::path> source;
  bool source_looked_up = false;
  for (delta::PatchAlgorithm a : algorithms) {
    const stdfs::path final_path =
        targets_ / delta::patch_target_path(app_, s.sha256, c.sha256, delta::algorithm_name(a));
    if (stdfs::exists(final_path)) {  // e.g. made by this version's release for another platform
      attempts.push_back({a, final_path, true, stored_of(final_path)});
      continue;
    }
    if (!source_looked_up) {
      source = source_bytes(s, prior);
      source_looked_up = true;
    }
    if (!source) continue;
    const stdfs::path tmp = work_.next(delta::algorithm_name(a));
    if (!delta::make_patch(a, *source, build_dir_ / c.path, tmp)) continue;
    ++stats.patches_computed;
    attempts.push_back({a, tmp, false, stored_of(tmp)});
  }
  // Kept: the smallest, and the smallest an older client knows when that one is newer.
  auto smallest = [&](bool known_to_older) {
    auto best = attempts.end();
    for (auto it = attempts.begin(); it != attempts.end(); ++it)
      if ((!known_to_older || !is_newer_algorithm(it->algorithm)) &&
          (best == attempts.end() || it->stored.length < best->stored.length))
        best = it;
    const bool fits = best != attempts.end() && static_cast<double>(best->stored.length) <=
                                                    kMaxPatchToBlobRatio * static_cast<double>(blob_length);
    return fits ? best : attempts.end();
  };
  std::vector<std::vector<Attempt>::iterator> kept;
  if (auto best = smallest(false); best != attempts.end()) {
    kept.push_back(best);
    if (is_newer_algorithm(best->algorithm))
      if (auto older = smallest(true); older != attempts.end()) kept.push_back(older);
  }
  for (auto it = attempts.begin(); it != attempts.end(); ++it)
    if (!it->existing && std::find(kept.begin(), kept.end(), it) == kept.end()) remove_quietly(it->file);

  std::vector<delta::PatchRoute> routes;
  for (auto it : kept) {
    if (!it->existing) {
      check_decodes(it->file, c, &*source, it->algorithm);
      const stdfs::path final_path =
          targets_ / delta::patch_target_path(app_, s.sha256, c.sha256, delta::algorithm_name(it->algorithm));
      publish_file(it->file, final_path, created_, targets_);
    }
    ++stats.patches_kept;
    stats.patch_bytes += it->stored.length;
    routes.push_back({delta::algorithm_name(it->algorithm), s.sha256, it->stored});
  }
  return routes;
}

// The last component of the parent folder ("" at the top).
std::string parent_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  const size_t before = path.rfind('/', slash - 1);
  return path.substr(before == std::string::npos ? 0 : before + 1,
                     slash - (before == std::string::npos ? 0 : before + 1));
}

std::string file_name(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

uint64_t size_distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

}  // namespace

const FileEntry* source_candidate(const FileManifest& prior, const FileEntry& target) {
  const FileEntry* same = prior.find(target.path);
  if (same && !same->is_link()) return same->sha256 == target.sha256 ? nullptr : same;
  // A moved file: its name stays, its folder's name often does too.
  const std::string name = file_name(target.path), parent = parent_name(target.path);
  const FileEntry* best_same_parent = nullptr;
  const FileEntry* best_any = nullptr;
  auto closer = [&](const FileEntry* current, const FileEntry& f) {
    return !current || size_distance(f.size, target.size) < size_distance(current->size, target.size);
  };
  for (const FileEntry& f : prior.files()) {  // sorted by path: ties go to the first
    if (f.is_link() || f.sha256 == target.sha256 || file_name(f.path) != name) continue;
    if (parent_name(f.path) == parent && closer(best_same_parent, f)) best_same_parent = &f;
    if (closer(best_any, f)) best_any = &f;
  }
  return best_same_parent ? best_same_parent : best_any;
}

DeltaBuilder::DeltaBuilder(stdfs::path repo_dir, std::string app_id)
    : repo_dir_(std::move(repo_dir)), app_id_(std::move(app_id)) {}

DeltaBuild DeltaBuilder::build(const FileManifest& release, const stdfs::path& build_dir,
                               const std::vector<PriorRelease>& previous) {
  // Distinct contents, each with every path that holds it.
  std::map<std::string, std::vector<const FileEntry*>> contents;
  for (const FileEntry& f : release.files()) {
    if (f.is_link()) continue;  // no content: clients make it from files.json
    std::error_code ec;
    const uint64_t size = stdfs::file_size(build_dir / f.path, ec);
    if (ec || size != f.size)
      fail(ErrorCode::kVerification, (build_dir / f.path).string() + " has " +
                                         (ec ? "no readable size" : std::to_string(size) + " bytes") + ", expected " +
                                         std::to_string(f.size) + " as in files.json (changed during the publish?)");
    contents[f.sha256].push_back(&f);
  }
  std::set<std::string> known;  // contents some previous release holds: clients may have them already
  for (const PriorRelease& p : previous)
    for (const FileEntry& f : p.manifest.files())
      if (!f.is_link()) known.insert(f.sha256);

  DeltaBuild out;
  DeltaStats& stats = out.stats;
  stats.contents = contents.size();
  Build b(repo_dir_, app_id_, build_dir, compression_);
  std::vector<delta::ContentEntry> entries;
  std::vector<const FileEntry*> patched;  // per entry: the file whose content gets patches, or nullptr
  for (const auto& [sha, paths] : contents) {
    const FileEntry& c = *paths.front();
    patched.push_back(!previous.empty() && !known.count(sha) && c.size > 0 ? &c : nullptr);
    delta::ContentEntry e;
    e.sha256 = sha;
    e.size = c.size;
    entries.push_back(std::move(e));
  }
  // Progress counts each blob, then each content that gets patches.
  const size_t total = entries.size() + (patched.size() - std::count(patched.begin(), patched.end(), nullptr));
  size_t done = 0;
  std::mutex progress_lock;
  auto step = [&] {
    std::lock_guard guard(progress_lock);
    if (progress_) progress_(++done, total);
  };

  // Blobs first, largest first on every worker: each is independent.
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return entries[x].size > entries[y].size; });
  parallel_for(order.size(), compression_.threads, [&](size_t k) {
    delta::ContentEntry& e = entries[order[k]];
    e.blob = b.put_blob(*contents.at(e.sha256).front(), stats);
    step();
  });
  b.publish_blobs();

  // Then patches, one at a time: a suffix array costs 4 bytes per source byte.
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!patched[i]) continue;
    delta::ContentEntry& e = entries[i];
    const FileEntry& c = *patched[i];
    std::set<std::string> tried;  // source contents: one patch each, whichever release or path found it
    for (const PriorRelease& p : previous) {
      for (const FileEntry* path : contents.at(e.sha256)) {
        const FileEntry* s = source_candidate(p.manifest, *path);
        if (!s || s->size == 0 || !tried.insert(s->sha256).second) continue;
        for (delta::PatchRoute& route : b.best_patches(*s, p, c, e.blob.length, stats))
          e.patches.push_back(std::move(route));
      }
    }
    step();
  }
  out.index = delta::DeltaIndex(release.version(), std::move(entries));  // sorts entries and their patches
  b.keep(out);
  return out;
}

}  // namespace upkeep::publish

#include "upkeep/update/delta_stager.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <unordered_map>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/io.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/fs.h"
#include "upkeep/update/delta_plan.h"

namespace upkeep {
namespace stdfs = std::filesystem;

namespace {

// Sums the progress of the plan's downloads into one total.
class TotalProgress : public net::DownloadProgress {
 public:
  TotalProgress(net::DownloadProgress* outer, uint64_t total) : outer_(outer), total_(total) {}
  void on_progress(uint64_t done, uint64_t) override {
    if (outer_) outer_->on_progress(std::min(base_ + done, total_), total_);
  }
  void advance(uint64_t bytes) { base_ += bytes; }

 private:
  net::DownloadProgress* outer_;
  uint64_t total_;
  uint64_t base_ = 0;
};

// Copies `from` to a new file `to` with `mode` (not fsynced: assemble()
// syncs the whole tree once); returns the SHA-256 of the bytes copied.
std::string copy_hashed(const stdfs::path& from, const stdfs::path& to, uint32_t mode) {
  delta::InputFile in(from);
  delta::OutputFile out(to, delta::Durability::kScratch);  // removed again unless committed
  delta::append_file(out, in);                             // a file that shrank meanwhile: the hash tells
  std::string sha = out.commit();
  fs::set_file_mode(to, mode);
  return sha;
}

// Places `from` (verified content) at the new path `to` with `mode`: a hard
// link when the modes agree and the file system allows it, a copy otherwise.
void place(const stdfs::path& from, const stdfs::path& to, uint32_t mode, const std::string& sha) {
  std::error_code ec;
  if (fs::file_mode(from) == mode) {
    stdfs::create_hard_link(from, to, ec);
    if (!ec) return;
  }
  if (copy_hashed(from, to, mode) != sha)
    fail(ErrorCode::kVerification, from.string() + " changed while it was copied into " + to.string(), Fault::kLocal);
}

class Run {
 public:
  Run(net::Fetcher& fetcher, const DeltaSource& source, const stdfs::path& work, net::DownloadProgress* progress,
      uint64_t total)
      : fetcher_(fetcher), source_(source), work_(work), objects_(work / "objects"), progress_(progress, total) {}

  stdfs::path object(const std::string& sha) const { return objects_ / sha; }
  const stdfs::path& objects_dir() const { return objects_; }

  // Rebuilds the content of `r` into objects/<sha>; a failed patch falls back to the blob once.
  void rebuild(const ContentRoute& r, DeltaStager::Result& result) {
    const delta::ContentEntry& e = *r.entry;
    const stdfs::path tmp = objects_ / (e.sha256 + ".tmp");
    fs::remove_tree(tmp);
    if (r.kind == ContentRoute::Kind::kPatch) {
      const delta::PatchRoute& p = *r.patch;
      const std::string name = delta::patch_target_path(source_.app_id, p.from, e.sha256, p.algorithm);
      const stdfs::path file = work_ / stdfs::path(name).filename();
      try {
        fetch(name, file, p.stored);
        std::string got = delta::apply_patch(*delta::parse_algorithm(p.algorithm), r.local->path, file, tmp, e.size);
        stdfs::remove(file);
        if (got == e.sha256) return publish(tmp, e.sha256, result.patched);
        spdlog::warn("delta: the {} patch {} rebuilt content {}, expected {}; fetching the whole file", p.algorithm,
                     name, got, e.sha256);
      } catch (const Error& err) {
        if (err.code() == ErrorCode::kNetwork || err.code() == ErrorCode::kNoSpace) throw;
        spdlog::warn("delta: the {} patch {} failed ({}); fetching the whole file", p.algorithm, name, err.what());
      }
      std::error_code ec;
      stdfs::remove(tmp, ec);
      stdfs::remove(file, ec);
      ++result.patch_fallbacks;
    }
    const std::string name = delta::blob_target_path(source_.app_id, e.sha256);
    const stdfs::path file = work_ / stdfs::path(name).filename();
    fetch(name, file, e.blob);
    std::string got = delta::decompress_blob(file, tmp, e.size);
    stdfs::remove(file);
    if (got != e.sha256) {
      stdfs::remove(tmp);
      fail(ErrorCode::kVerification, source_.targets_url + name + ": rebuilds content " + got +
                                         ", the signed hash is " + e.sha256 + " (the repository serves a wrong file)");
    }
    publish(tmp, e.sha256, result.blobs);
  }

  uint64_t transferred() const { return transferred_; }

 private:
  // Downloads a blob or patch into the work folder (resuming a .part); a
  // complete download left by an earlier run is used as it is.
  void fetch(const std::string& target, const stdfs::path& file, const delta::Stored& stored) {
    std::error_code ec;
    if (stdfs::file_size(file, ec) != stored.length || ec) {
      auto got = fetcher_.download(source_.targets_url + target, file, stored.length, stored.sha256, &progress_);
      transferred_ += got.bytes_transferred;
    }
    progress_.advance(stored.length);
  }

  void publish(const stdfs::path& tmp, const std::string& sha, size_t& counter) {
    fs::rename_durable(tmp, object(sha));
    ++counter;
    crash_point("delta.rebuilt");
  }

  net::Fetcher& fetcher_;
  const DeltaSource& source_;
  stdfs::path work_;
  stdfs::path objects_;
  TotalProgress progress_;
  uint64_t transferred_ = 0;
};

bool is_resumable(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const Error& err) {
    return err.code() == ErrorCode::kNetwork || err.code() == ErrorCode::kNoSpace;
  } catch (...) {
    return false;
  }
}

// A local file that no longer holds what its manifest says is fetched instead.
void check_local_sources(DeltaPlan& plan) {
  for (auto& r : plan.routes) {
    if (r.kind != ContentRoute::Kind::kHave) continue;
    std::string got;
    try {
      got = hash_file_hex(r.local->path);
    } catch (const Error&) {
    }
    if (got == r.entry->sha256) continue;
    spdlog::warn("delta: {} does not hold its signed content any more; fetching it", r.local->path.string());
    r.kind = ContentRoute::Kind::kBlob;
    r.local = nullptr;
    r.download_bytes = r.entry->blob.length;
    plan.download_bytes += r.download_bytes;
  }
}

// Every file of the manifest into `dest`, from rebuilt objects or local
// files, then every link, made from the manifest's target; then the tree is
// made durable in one pass (fs::sync_tree), not file by file.
void assemble(const FileManifest& manifest, const std::unordered_map<std::string, const ContentRoute*>& routes,
              const Run& run, const stdfs::path& dest) {
  fs::remove_tree(dest);
  fs::create_directories_durable(dest);
  std::set<stdfs::path> made{dest};  // folders known to exist: one mkdir per folder
  std::vector<const FileEntry*> links;
  for (const auto& f : manifest.files()) {
    const stdfs::path to = dest / f.path;
    if (made.insert(to.parent_path()).second) stdfs::create_directories(to.parent_path());
    if (f.is_link()) {
      links.push_back(&f);
      continue;
    }
    const ContentRoute& r = *routes.at(f.sha256);
    stdfs::path from = r.kind == ContentRoute::Kind::kHave ? r.local->path : run.object(f.sha256);
    if (from.parent_path() == run.objects_dir() && fs::file_mode(from) != f.mode) {
      std::error_code ec;
      if (stdfs::hard_link_count(from, ec) == 1) fs::set_file_mode(from, f.mode);  // not placed anywhere yet
    }
    place(from, to, f.mode, f.sha256);
  }
  for (const FileEntry* l : links) stdfs::create_symlink(l->link, dest / l->path);
  crash_point("stage.written");
  fs::sync_tree(dest);
}

}  // namespace

DeltaStager::Result DeltaStager::stage(const FileManifest& manifest, const delta::DeltaIndex& index,
                                       const DeltaSource& source, uint64_t package_length, const stdfs::path& dest,
                                       net::DownloadProgress* progress) {
  Result result;
  const std::string& v = manifest.version();
  const stdfs::path work = layout_.delta_work_dir(v);
  LocalContent local = LocalContent::of_install(layout_);
  local.add_objects(work / "objects");  // rebuilt by an interrupted run
  DeltaPlan plan = plan_delta(index, local);
  result.planned_bytes = plan.download_bytes;
  if (plan.download_bytes >= package_length) {
    spdlog::info("delta: {} bytes of patches and files would cost at least the package ({} bytes); using the package",
                 plan.download_bytes, package_length);
    fs::remove_tree(work);
    return result;
  }
  spdlog::info("delta: {} of {} contents held locally, {} by patch, {} whole; {} bytes to fetch (package: {})",
               plan.have, plan.routes.size(), plan.patches, plan.blobs, plan.download_bytes, package_length);
  try {
    check_local_sources(plan);
    fs::create_directories_durable(work / "objects");
    Run run(fetcher_, source, work, progress, plan.download_bytes);
    std::unordered_map<std::string, const ContentRoute*> by_sha;
    for (const auto& r : plan.routes) {
      by_sha[r.entry->sha256] = &r;
      if (r.kind == ContentRoute::Kind::kHave) {
        ++result.have;
      } else if (!stdfs::exists(run.object(r.entry->sha256))) {
        run.rebuild(r, result);
      }
    }
    result.bytes_transferred = run.transferred();
    if (progress) progress->on_verifying();
    assemble(manifest, by_sha, run, dest);
    manifest.verify_directory(dest, FileManifest::Depth::kQuick);
  } catch (...) {
    fs::remove_tree(dest);
    // A network error or a full disk is worth resuming; anything else starts over.
    if (!is_resumable(std::current_exception())) fs::remove_tree(work);
    throw;
  }
  fs::remove_tree(work);
  result.staged = true;
  return result;
}

}  // namespace upkeep

// SeriesRepo: one package series of the delta benchmark, published and
// updated with the real programs. A vendor repository made by `upkeep keys
// init` and `upkeep release` (default --delta-from) in a scratch folder,
// served by an in-process RepoServer on 127.0.0.1 whose byte counters say
// what a client fetched; install roots made by `upkeep install`; and staging
// runs of the real `upkeep-updater` of an install root, timed, with the
// child's peak memory from wait4's rusage (Linux-side bench code), each on a
// fresh copy of the install root, then applied with the launcher's Applier
// and checked against the new version's signed manifest.
//
// Construct and use from one thread; failures throw upkeep::Error naming
// the program or step.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "upkeep/net/repo_server.h"

namespace upkeep::bench {

struct StagingRun {
  uint64_t bytes = 0;          // every response body the updater received
  uint64_t package_bytes = 0;  // of which the full package (package.zip)
  uint64_t blob_bytes = 0;     // of which blobs/
  uint64_t patch_bytes = 0;    // of which patches/
  double ms = 0;               // spawn to exit of upkeep-updater
  uint64_t max_rss_kib = 0;    // its peak resident set (ru_maxrss)
};

class SeriesRepo {
 public:
  SeriesRepo(const std::filesystem::path& scratch, const std::string& app_id);
  ~SeriesRepo();
  SeriesRepo(const SeriesRepo&) = delete;
  SeriesRepo& operator=(const SeriesRepo&) = delete;

  // `upkeep release FOLDER --version V`; returns its wall time in seconds.
  double release(const std::filesystem::path& folder, const std::string& version);
  // Length of the version's package.zip as published.
  uint64_t package_length(const std::string& version) const;
  // Bytes of the delta store's blobs and patches directories (all releases so far).
  uint64_t stored_delta_bytes() const;
  // A root with `version` installed by `upkeep install` (made once per version).
  std::filesystem::path installed(const std::string& version);
  // One staging run on a fresh copy of `installed(from)`; it must stage `to`,
  // which is then applied and verified file by file. The copy is removed.
  StagingRun stage(const std::string& from, const std::string& to);

 private:
  void upkeep_ok(const std::vector<std::string>& args) const;

  std::filesystem::path scratch_, bin_dir_, keys_, repo_;
  std::string app_id_;
  std::unique_ptr<net::RepoServer> server_;
  int next_trial_ = 0;
};

}  // namespace upkeep::bench

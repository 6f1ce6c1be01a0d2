// Tool baseline of the delta benchmark (see tool_baseline.h).
#include "tool_baseline.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"
#include "upkeep/platform/fs.h"
#include "upkeep/platform/process.h"

namespace upkeep::bench {

namespace {

enum Tool { kBsdiff, kXdelta3, kZstdPatch, kZstdAlone };
// The cache suffix of each tool ("xdelta3-D": results from before -D were not byte-exact).
const char* const kToolNames[] = {"bsdiff", "xdelta3-D", "zstd", "zstd-alone"};

struct Job {
  Tool tool;
  stdfs::path old_file, new_file;  // old_file empty for kZstdAlone
  std::string old_sha, new_sha;
  uint64_t result = 0;
};

std::map<std::string, stdfs::path> regular_files(const stdfs::path& dir) {
  std::map<std::string, stdfs::path> out;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && !e.is_symlink()) out[stdfs::relative(e.path(), dir).string()] = e.path();
  return out;
}

stdfs::path cache_file(const stdfs::path& cache, const Job& j) {
  std::string key = j.tool == kZstdAlone ? j.new_sha : j.old_sha + "-" + j.new_sha;
  return cache / (key + "." + kToolNames[j.tool]);
}

std::string mib_ceil(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20); }

std::vector<std::string> tool_argv(const Job& j, const stdfs::path& out) {
  const std::string o = j.old_file.string(), n = j.new_file.string(), p = out.string();
  const uint64_t big = std::max(j.old_file.empty() ? 0 : stdfs::file_size(j.old_file), stdfs::file_size(j.new_file));
  std::vector<std::string> argv{"/usr/bin/nice", "-n", "10"};
  switch (j.tool) {
    case kBsdiff:
      argv.insert(argv.end(), {"/usr/bin/bsdiff", o, n, p});
      break;
    case kXdelta3:
      // -D: without it xdelta3 gunzips .gz inputs, diffs the plain text and
      // re-gzips on decoding, which does not give back the original bytes
      // (Debian's .gz differ from byte 9 on): not a patch of the file.
      argv.insert(argv.end(), {"/usr/bin/xdelta3", "-9", "-D", "-e", "-f"});
      // The source window defaults to 64 MiB; a larger source would lose matches past it.
      if (big > (64u << 20)) argv.insert(argv.end(), {"-B", std::to_string((big + (1u << 20)) & ~((1ull << 20) - 1))});
      argv.insert(argv.end(), {"-s", o, n, p});
      break;
    case kZstdPatch:
      argv.insert(argv.end(), {"/usr/bin/zstd", "-q", "-f", "-19", "--long=31", "--patch-from=" + o});
      // zstd refuses a dictionary beyond its default 128 MiB memory limit.
      if (big > (128u << 20)) argv.push_back("--memory=" + mib_ceil(big + (1u << 20)) + "MB");
      argv.insert(argv.end(), {n, "-o", p});
      break;
    case kZstdAlone:
      argv.insert(argv.end(), {"/usr/bin/zstd", "-q", "-f", "-19", n, "-o", p});
      break;
  }
  return argv;
}

void run_job(Job& j, const stdfs::path& cache, int worker) {
  stdfs::path cached = cache_file(cache, j);
  if (stdfs::exists(cached)) {
    j.result = std::stoull(fs::read_file(cached));
    return;
  }
  stdfs::path out = cache / ("tmp-" + std::to_string(worker) + ".patch");
  stdfs::remove(out);
  process::SpawnOptions so;
  so.argv = tool_argv(j, out);
  so.env = process::current_environment();
  auto r = process::run_captured(so, std::chrono::hours(2), 4096);
  if (!r.status.success())
    fail(ErrorCode::kFailure, std::string(kToolNames[j.tool]) + " " + j.new_file.string() + ": " + r.status.describe() +
                                  ": " + r.output_tail);
  j.result = stdfs::file_size(out);
  stdfs::remove(out);
  fs::write_file_atomic(cached, std::to_string(j.result) + "\n");
}

}  // namespace

ToolBaseline tool_baseline(const stdfs::path& from, const stdfs::path& to, const stdfs::path& cache, bool verbose) {
  double t0 = now_ms();
  stdfs::create_directories(cache);
  ToolBaseline b;
  auto old_files = regular_files(from);
  auto new_files = regular_files(to);
  std::vector<Job> jobs;
  for (const auto& [rel, path] : new_files) {
    ++b.files;
    auto it = old_files.find(rel);
    std::string new_sha = hash_file_hex(path);
    if (it == old_files.end()) {
      ++b.added;
      b.changed_bytes += stdfs::file_size(path);
      jobs.push_back({kZstdAlone, {}, path, "", new_sha});
      continue;
    }
    std::string old_sha = hash_file_hex(it->second);
    if (old_sha == new_sha) continue;
    ++b.changed;
    b.changed_bytes += stdfs::file_size(path);
    for (Tool t : {kBsdiff, kXdelta3, kZstdPatch}) jobs.push_back({t, it->second, path, old_sha, new_sha});
  }
  for (const Job& j : jobs) b.tool_runs += stdfs::exists(cache_file(cache, j)) ? 0 : 1;
  if (verbose && b.tool_runs)
    std::fprintf(stderr, "tools: %zu runs for %zu changed and %zu new files of %s\n", b.tool_runs, b.changed, b.added,
                 to.string().c_str());

  // Largest first, so that the two workers finish together.
  std::vector<size_t> order(jobs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t c) {
    return stdfs::file_size(jobs[a].new_file) > stdfs::file_size(jobs[c].new_file);
  });
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::string error;
  auto worker = [&](int id) {
    for (size_t k; (k = next++) < order.size();) {
      try {
        run_job(jobs[order[k]], cache, id);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (error.empty()) error = e.what();
        next = order.size();
      }
    }
  };
  std::thread second(worker, 1);
  worker(0);
  second.join();
  if (!error.empty()) fail(ErrorCode::kFailure, "tool baseline: " + error);

  // Jobs of one changed file are consecutive (bsdiff, xdelta3, zstd).
  for (size_t i = 0; i < jobs.size();) {
    if (jobs[i].tool == kZstdAlone) {
      uint64_t z = jobs[i++].result;
      b.bsdiff += z, b.xdelta3 += z, b.zstd += z, b.best_of_three += z;
      continue;
    }
    uint64_t bs = jobs[i].result, xd = jobs[i + 1].result, zs = jobs[i + 2].result;
    b.bsdiff += bs, b.xdelta3 += xd, b.zstd += zs, b.best_of_three += std::min({bs, xd, zs});
    i += 3;
  }
  b.seconds = (now_ms() - t0) / 1e3;
  return b;
}

}  // namespace upkeep::bench

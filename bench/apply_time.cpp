// apply_time: what Applier::apply costs, and that it is flat in the update's size.
//
// For each scenario (bytes x files) it builds a real install root in a
// scratch folder on the same file system: version 1.0.0 installed (small),
// 2.0.0 staged the way the stager leaves it (staging/2.0.0, manifests/2.0.0.json,
// record_staged with the manifest's hash and listing digest, .pending,
// everything synced). Then, interleaved in one run:
//   - Applier::apply("2.0.0") timed alone (manifest hash check, the listing
//     check of the staged folder, journal, rename, symlink switch, fsyncs,
//     trial record), then reset by hand untimed (rename back, switch current
//     back, record_staged);
//   - its parts timed separately: read+hash of the manifest, the listing
//     digest; and for comparison the per-file stat check apply does not do
//     (parse + FileManifest::verify_directory(kQuick));
//   - `cp -a staging/2.0.0 <same fs>/copy` for comparison (copy dropped and
//     sync run afterwards, untimed).
// Scenarios: 100 MiB and 1 GiB in 10,000 files, 1 GiB in 1,000 files (cost
// follows the file count, not the bytes), and 1 MiB in 10 files (the fixed cost).
// The page cache is warm for both apply and cp: this measures the work each
// one does, not cold disk reads. Prints figures, not pass/fail.
//
// usage: apply_time [--runs N] [--cp-runs N] [--scale PERCENT]
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>

#include "bench_util.h"
#include "figures.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/state_store.h"
#include "upkeep/policy/config.h"

namespace {

using namespace upkeep;
using bench::Prng;
namespace stdfs = std::filesystem;

constexpr uint64_t kMiB = 1024 * 1024;
constexpr uint64_t kGiB = 1024 * kMiB;

struct Scenario {
  uint64_t bytes;
  int files;
};

void write_all(int fd, const char* data, size_t n, const stdfs::path& p) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(ErrorCode::kFailure, "cannot write " + p.string() + ": " + std::strerror(errno));
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
}

// `files` files totalling exactly `bytes`, sizes varied 0.25x..1.75x the mean,
// 100 per folder, every 50th executable.
void generate_version(const stdfs::path& dir, uint64_t bytes, int files, uint64_t seed) {
  Prng rng{seed * 0x9E3779B97F4A7C15ull + 1};
  std::vector<double> weight(files);
  double sum = 0;
  for (auto& w : weight) sum += (w = 0.25 + 1.5 * rng.unit());
  std::string pool(8 * kMiB, '\0');
  for (size_t i = 0; i + 8 <= pool.size(); i += 8) {
    uint64_t v = rng.next();
    std::memcpy(&pool[i], &v, 8);
  }
  uint64_t left = bytes;
  for (int i = 0; i < files; ++i) {
    uint64_t size = i + 1 == files ? left : std::min<uint64_t>(left, static_cast<uint64_t>(bytes * weight[i] / sum));
    left -= size;
    char rel[64];
    std::snprintf(rel, sizeof rel, "lib/d%03d/f%05d.bin", i / 100, i);
    stdfs::path p = dir / rel;
    if (i % 100 == 0) stdfs::create_directories(p.parent_path());
    mode_t mode = i % 50 == 0 ? 0755 : 0644;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) fail(ErrorCode::kFailure, "cannot create " + p.string() + ": " + std::strerror(errno));
    ::fchmod(fd, mode);  // exact mode whatever the umask
    uint64_t done = 0;
    while (done < size) {
      size_t off = static_cast<size_t>(rng.next() % (pool.size() / 2));
      size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, pool.size() / 2));
      write_all(fd, pool.data() + off, n, p);
      done += n;
    }
    ::close(fd);
  }
}

struct Root {
  Layout layout;
  std::string manifest_sha;
  std::string listing_sha;
};

// Version 1.0.0 installed and current; 2.0.0 staged as the stager leaves it.
Root make_root(const stdfs::path& root, const Scenario& sc) {
  Layout layout(root);
  stdfs::create_directories(layout.version_dir("1.0.0"));
  fs::write_file_atomic(layout.version_dir("1.0.0") / "mainapp", "#!/bin/sh\nexit 0\n", 0755);
  stdfs::create_directory_symlink("versions/1.0.0", layout.current_link());
  stdfs::create_directories(layout.manifests_dir());
  generate_version(layout.staged_dir("2.0.0"), sc.bytes, sc.files, static_cast<uint64_t>(sc.files) ^ sc.bytes);
  FileManifest manifest = FileManifest::from_directory(layout.staged_dir("2.0.0"), "2.0.0");
  std::string text = manifest.to_json();
  fs::write_file_atomic(layout.manifest_file("2.0.0"), text);
  std::string sha = sha256_hex(text);
  std::string listing = manifest.listing_digest();
  {
    StateStore store(layout.state_db());
    store.record_installed("1.0.0", "");
    store.record_staged("2.0.0", sha, listing);
  }
  PendingMarker(layout).set();
  ::sync();  // the stager fsyncs every file before recording `staged`
  return {layout, sha, listing};
}

// Undoes apply("2.0.0") so the next run starts from the same state.
void reset(const Root& r, StateStore& store) {
  fs::rename_durable(r.layout.version_dir("2.0.0"), r.layout.staged_dir("2.0.0"));
  r.layout.switch_current("1.0.0");
  store.record_staged("2.0.0", r.manifest_sha, r.listing_sha);
  PendingMarker(r.layout).set();
  ::sync();
}

struct Row {
  Scenario sc;
  bench::Stats apply, read_hash, listing, verify, cp;
  bench::Stats walk, lstat_all;  // floors of a stat-level check, for where the time goes
  double generate_s = 0;
};

std::string human_bytes(uint64_t b) {
  char buf[32];
  if (b >= kGiB && b % kGiB == 0)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " GiB", b / kGiB);
  else
    std::snprintf(buf, sizeof buf, "%.0f MiB", static_cast<double>(b) / kMiB);
  return buf;
}

// The directory walk alone, as verify_directory does it (one entry status each).
double time_walk(const stdfs::path& dir) {
  double t = bench::now_ms();
  size_t n = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    n += e.symlink_status().type() != stdfs::file_type::none;
  double ms = bench::now_ms() - t;
  if (n == 0) fail(ErrorCode::kFailure, dir.string() + " is empty");
  return ms;
}

// One lstat(2) per listed file: the least a stat-level check can do.
double time_lstat_all(const stdfs::path& dir, const FileManifest& m) {
  double t = bench::now_ms();
  struct stat st {};
  for (const auto& f : m.files())
    if (::lstat((dir / f.path).c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != f.size)
      fail(ErrorCode::kFailure, "lstat of " + f.path + " failed or its size differs");
  return bench::now_ms() - t;
}

Row run_scenario(const Scenario& sc, const stdfs::path& base, int runs, int cp_runs) {
  Row row{};
  row.sc = sc;
  bench::ScratchDir scratch(base, "upkeep-bench-apply");
  double t0 = bench::now_ms();
  Root r = make_root(scratch.path() / "root", sc);
  row.generate_s = (bench::now_ms() - t0) / 1000;
  std::printf("  %s in %d files generated and staged in %.1f s\n", human_bytes(sc.bytes).c_str(), sc.files,
              row.generate_s);
  std::fflush(stdout);

  StateStore store(r.layout.state_db());
  std::vector<double> apply, read_hash, listing, verify, cp, walk, lstat_all;
  stdfs::path copy = scratch.path() / "copy";
  for (int i = 0; i < runs; ++i) {
    // The parts, on the staged folder.
    double a = bench::now_ms();
    std::string text = fs::read_file(r.layout.manifest_file("2.0.0"));
    if (sha256_hex(text) != r.manifest_sha) fail(ErrorCode::kFailure, "manifest changed under the benchmark");
    double b = bench::now_ms();
    if (FileManifest::listing_digest_of(r.layout.staged_dir("2.0.0")) != r.listing_sha)
      fail(ErrorCode::kFailure, "staged folder changed under the benchmark");
    double c = bench::now_ms();
    read_hash.push_back(b - a);
    listing.push_back(c - b);
    // For comparison only (apply does not do this): parse + a stat-level check of every file.
    double d0 = bench::now_ms();
    FileManifest m = FileManifest::parse(text, r.layout.manifest_file("2.0.0").string());
    m.verify_directory(r.layout.staged_dir("2.0.0"), FileManifest::Depth::kQuick);
    verify.push_back(bench::now_ms() - d0);
    walk.push_back(time_walk(r.layout.staged_dir("2.0.0")));
    lstat_all.push_back(time_lstat_all(r.layout.staged_dir("2.0.0"), m));

    // The whole apply.
    double s = bench::now_ms();
    Applier(r.layout, store, Config().max_update_failures).apply("2.0.0");
    apply.push_back(bench::now_ms() - s);
    if (r.layout.current_version() != "2.0.0" || store.get("2.0.0")->state != VersionState::kTrial)
      fail(ErrorCode::kFailure, "apply did not leave 2.0.0 current and on trial");
    reset(r, store);

    if (i < cp_runs) {
      cp.push_back(bench::time_spawn_wait({"/bin/cp", "-a", r.layout.staged_dir("2.0.0").string(), copy.string()}));
      stdfs::remove_all(copy);
      ::sync();
    }
  }
  row.apply = bench::stats_of(apply);
  row.read_hash = bench::stats_of(read_hash);
  row.listing = bench::stats_of(listing);
  row.verify = bench::stats_of(verify);
  row.cp = bench::stats_of(cp);
  row.walk = bench::stats_of(walk);
  row.lstat_all = bench::stats_of(lstat_all);
  return row;
}

// The doc's targets (section 2): under 10 ms for 1 GiB in 10,000 files (rows[1]; returns
// whether it is met), flat in size.
bool add_figures(bench::FigureSet& figures, const std::vector<Row>& rows, int runs, int cp_runs, int scale) {
  figures.param("runs", runs);
  figures.param("cp_runs", cp_runs);
  figures.param("scale_percent", scale);
  const std::string scaled = scale < 100 ? "sizes scaled to " + std::to_string(scale) + " %" : "";
  bool met = false;
  for (const auto& r : rows) {
    const std::string name = "apply, " + human_bytes(r.sc.bytes) + " in " + std::to_string(r.sc.files) + " files";
    if (&r == &rows[1])
      met = figures.at_most(name, r.apply.median, "ms", 10, "< 10 ms", scaled, true);
    else
      figures.add(name, r.apply.median, "ms", scaled);
  }
  figures.add("flat in size: apply " + human_bytes(rows[1].sc.bytes) + " / " + human_bytes(rows[0].sc.bytes) + " at " +
                  std::to_string(rows[1].sc.files) + " files",
              rows[1].apply.median / rows[0].apply.median, "x", "target: flat in size, no number stated");
  if (rows[1].cp.n)
    figures.add("cp -a / apply, " + human_bytes(rows[1].sc.bytes), rows[1].cp.median / rows[1].apply.median, "x");
  return met;
}

int run(const std::vector<std::string>& argv) {
  const ParsedArgs args = CommandLine("apply_time", "Times applying an update against copying the files.")
                              .option("runs", "N", "measured runs, default 7")
                              .option("cp-runs", "N", "runs of the cp comparison, default 3")
                              .option("scale", "PERCENT", "size of the app, 1-100, default 100")
                              .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                              .parse(argv);
  int runs = static_cast<int>(args.int_value_or("runs", 7, 1, 10000));
  int cp_runs = static_cast<int>(args.int_value_or("cp-runs", 3, 0, 10000));
  int scale = static_cast<int>(args.int_value_or("scale", 100, 1, 100));
  spdlog::set_level(spdlog::level::warn);  // apply logs at info; not part of its cost here
  bench::FigureSet figures("apply_time", args.flag("json"));

  stdfs::path base = bench::temp_base();
  uint64_t free_bytes = fs::available_bytes(base);
  // The largest scenario needs its staged copy plus the cp copy, with room to spare.
  const uint64_t wanted = 3 * kGiB;
  if (free_bytes < wanted) {
    int fit = static_cast<int>(std::max<uint64_t>(1, free_bytes * 100 / wanted));
    if (fit < scale) {
      std::printf("apply_time: only %.2f GiB free under %s (wanted 3 GiB): scaling sizes down to %d%%\n",
                  static_cast<double>(free_bytes) / kGiB, base.c_str(), fit);
      scale = fit;
    }
  }
  auto scaled = [scale](uint64_t b) { return b * static_cast<uint64_t>(scale) / 100; };
  std::vector<Scenario> scenarios{{scaled(100 * kMiB), 10000},
                                  {scaled(kGiB), 10000},
                                  {scaled(kGiB), 1000},
                                  {scaled(kMiB), 10}};  // the fixed cost: almost nothing to check
  std::printf("apply_time: %d apply runs and %d cp -a runs per scenario, interleaved, under %s (scale %d%%)\n", runs,
              cp_runs, base.c_str(), scale);
  std::printf("  load average (1 min) before: %.2f\n", bench::load_average_1min());
  std::vector<Row> rows;
  for (const auto& sc : scenarios) rows.push_back(run_scenario(sc, base, runs, cp_runs));

  std::printf("\n  all times in ms, median (p10-p90); warm page cache for both apply and cp -a\n");
  std::printf("  %-9s %6s | %-22s | %8s %8s %8s | %-24s | %8s | %s\n", "bytes", "files", "apply", "read+sha", "listing",
              "rest", "cp -a", "stat chk", "cp/apply");
  for (const auto& r : rows) {
    double rest = r.apply.median - r.read_hash.median - r.listing.median;
    char ap[40], cp[40];
    std::snprintf(ap, sizeof ap, "%7.2f (%.2f-%.2f)", r.apply.median, r.apply.p10, r.apply.p90);
    if (r.cp.n)
      std::snprintf(cp, sizeof cp, "%8.1f (%.1f-%.1f)", r.cp.median, r.cp.p10, r.cp.p90);
    else
      std::snprintf(cp, sizeof cp, "%s", "-");
    std::printf("  %-9s %6d | %-22s | %8.2f %8.2f %8.2f | %-24s | %8.2f | %.0fx\n", human_bytes(r.sc.bytes).c_str(),
                r.sc.files, ap, r.read_hash.median, r.listing.median, rest, cp, r.verify.median,
                r.cp.n ? r.cp.median / r.apply.median : 0.0);
  }
  std::printf(
      "\n  the per-file stat check apply does NOT do (\"stat chk\" = parse + verify_directory(kQuick)), and its "
      "floors:\n");
  for (const auto& r : rows)
    std::printf("  %-9s %6d files: directory walk %.2f, one lstat per file %.2f, verify_directory(kQuick) %.2f\n",
                human_bytes(r.sc.bytes).c_str(), r.sc.files, r.walk.median, r.lstat_all.median, r.verify.median);
  std::printf(
      "\n  listing = FileManifest::listing_digest_of(staged folder): one read per folder\n"
      "  rest = apply - (read+sha + listing): journal, rename, symlink switch, fsyncs, trial record\n");
  std::printf("  fixed cost (apply of %s in %d files): %.2f ms\n", human_bytes(rows[3].sc.bytes).c_str(),
              rows[3].sc.files, rows[3].apply.median);
  const Row& big = rows[1];
  const Row& small = rows[0];
  const bool met = add_figures(figures, rows, runs, cp_runs, scale);
  std::printf("  target: apply under 10 ms -> %s (%s / %d files: %.2f ms)\n", met ? "met" : "NOT met",
              human_bytes(big.sc.bytes).c_str(), big.sc.files, big.apply.median);
  std::printf("  flat in size: %s vs %s at %d files: ratio %.2f; %d vs %d files at %s: ratio %.2f\n",
              human_bytes(big.sc.bytes).c_str(), human_bytes(small.sc.bytes).c_str(), big.sc.files,
              big.apply.median / small.apply.median, big.sc.files, rows[2].sc.files, human_bytes(big.sc.bytes).c_str(),
              big.apply.median / rows[2].apply.median);
  std::printf("  per file (apply - fixed cost) / files: %.2f us at %d files\n",
              (big.apply.median - rows[3].apply.median) * 1000 / big.sc.files, big.sc.files);
  std::printf("  load average (1 min) after: %.2f\n", bench::load_average_1min());
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return upkeep::bench::main_of("apply_time", run, argc, argv); }

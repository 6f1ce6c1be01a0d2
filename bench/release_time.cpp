// release_time: what `upkeep release` of new content costs beside `zip -r -6`
// of the same folder, for each compression preset, and the curve of blob
// bytes against time over the zstd levels the presets choose from
// (docs/benchmarks.md, "Release speed").
//
// The folder is real shared libraries: --dir DIR, or (default) the first
// --mib MiB of the machine's /usr/lib/x86_64-linux-gnu/*.so* files, each
// content once (hard-linked drivers would flatter deduplication), copied
// into a scratch folder with a one-line start script as the release's
// program. In each of --runs rounds, interleaved:
//   (a) `zip -r -6 -q` of the folder (the target: a default release within
//       3x its wall time);
//   (b) `upkeep release DIR --compression P` into a fresh repository for P =
//       fast, default, max (keys made once, untimed): files.json, package.zip
//       and every blob, no previous release (new content, no patches).
// Then, once, the curve: every file compressed into a blob at each level of
// --levels, on as many threads as release uses (the same code: parallel_for
// and compress_blob), with wall time, CPU time and bytes.
// Prints medians and ratios, not pass/fail.
//
// usage: release_time [--dir DIR] [--mib N] [--runs N] [--levels L,L,...]
#include <sys/resource.h>
#include <sys/wait.h>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "bench_util.h"
#include "figures.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/hash.h"
#include "upkeep/base/parallel_for.h"
#include "upkeep/delta/codec.h"
#include "upkeep/delta/zstd_stream.h"
#include "upkeep/platform/fs.h"

namespace {

using namespace upkeep;
using namespace upkeep::bench;
namespace stdfs = std::filesystem;

// Wall and CPU (user + system, of the children) of one run of argv.
struct Cost {
  double wall_ms = 0, cpu_ms = 0;
};

double cpu_ms_of(const rusage& r) {
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(r.ru_utime) + ms(r.ru_stime);
}

Cost run_costed(const std::vector<std::string>& argv) {
  rusage before{}, after{};
  getrusage(RUSAGE_CHILDREN, &before);
  const double wall = time_spawn_wait(argv);
  getrusage(RUSAGE_CHILDREN, &after);
  return {wall, cpu_ms_of(after) - cpu_ms_of(before)};
}

// The corpus: the first `mib` MiB of shared libraries, by path, copied below `dir`.
void copy_shared_libraries(const stdfs::path& dir, uint64_t mib) {
  std::vector<stdfs::path> libs;
  for (const auto& e : stdfs::recursive_directory_iterator("/usr/lib/x86_64-linux-gnu",
                                                           stdfs::directory_options::skip_permission_denied)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && !e.is_symlink() && name.find(".so") != std::string::npos && e.file_size() > 16384)
      libs.push_back(e.path());
  }
  std::sort(libs.begin(), libs.end());
  uint64_t total = 0;
  std::set<std::string> seen;  // contents: Mesa's drivers are one file under many names
  for (const stdfs::path& lib : libs) {
    const uint64_t size = stdfs::file_size(lib);
    if (total + size > (mib << 20) || !seen.insert(hash_file_hex(lib)).second) continue;
    const stdfs::path to = dir / "lib" / stdfs::relative(lib, "/usr/lib/x86_64-linux-gnu");
    stdfs::create_directories(to.parent_path());
    stdfs::copy_file(lib, to);
    total += size;
  }
}

struct Corpus {
  size_t files = 0;
  uint64_t bytes = 0;
  std::vector<stdfs::path> paths;  // largest first, as the release orders its blobs
};

Corpus survey(const stdfs::path& dir) {
  Corpus c;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) {
      ++c.files;
      c.bytes += e.file_size();
      c.paths.push_back(e.path());
    }
  std::sort(c.paths.begin(), c.paths.end(),
            [](const stdfs::path& a, const stdfs::path& b) { return stdfs::file_size(a) > stdfs::file_size(b); });
  return c;
}

// Bytes of the files below REPO/targets whose names contain `part`.
uint64_t target_bytes(const stdfs::path& repo, const std::string& part) {
  uint64_t n = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(repo / "targets"))
    if (e.is_regular_file() && e.path().string().find(part) != std::string::npos) n += e.file_size();
  return n;
}

struct Sample {
  std::vector<double> wall, cpu;
  uint64_t blobs = 0, package = 0;
};

void print_sample(const std::string& name, const Sample& s, double zip_wall) {
  const double wall = stats_of(s.wall).median, cpu = stats_of(s.cpu).median;
  std::printf("  %-26s %8.1f s %8.1f s %6.2fx", name.c_str(), wall / 1e3, cpu / 1e3, wall / zip_wall);
  if (s.blobs) std::printf("  blobs %7.1f MB", static_cast<double>(s.blobs) / 1e6);
  if (s.package) std::printf("  package %7.1f MB", static_cast<double>(s.package) / 1e6);
  std::printf("\n");
}

// A setting of the curve: "16" (a level), "16/3/3" (level, minimum match, search log) or
// "16/3/3/24" (and window log).
struct Setting {
  std::string name;
  int level;
  delta::ZstdTuning tuning;
};

// One point of the curve: every file of the corpus made into a blob with one setting.
struct Point {
  Setting setting;
  double wall_ms, cpu_ms;
  uint64_t bytes;
};

Point curve_point(const Corpus& c, const stdfs::path& out, const Setting& setting, unsigned threads) {
  stdfs::remove_all(out);
  stdfs::create_directories(out);
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const double t0 = now_ms();
  parallel_for(c.paths.size(), threads, [&](size_t i) {
    delta::compress_blob(c.paths[i], out / (std::to_string(i) + ".zst"), setting.level, threads, setting.tuning);
  });
  const double wall = now_ms() - t0;
  getrusage(RUSAGE_SELF, &after);
  return {setting, wall, cpu_ms_of(after) - cpu_ms_of(before), tree_bytes(out)};
}

std::vector<Setting> settings_of(const std::string& text) {
  std::vector<Setting> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    int level = 0, min_match = 0, search_log = 0, window_log = 0;
    char extra = 0;
    const int n = std::sscanf(item.c_str(), "%d/%d/%d/%d%c", &level, &min_match, &search_log, &window_log, &extra);
    if ((n != 1 && n != 3 && n != 4) || level < 1 || level > 19 || (n >= 3 && (min_match < 3 || search_log < 1)) ||
        (n == 4 && (window_log < 10 || window_log > delta::kZstdWindowLogMax)))
      fail(ErrorCode::kUsage,
           "--levels expects L, L/MINMATCH/SEARCHLOG or L/MINMATCH/SEARCHLOG/WINDOWLOG items (L 1-19, window log "
           "10-27) separated by commas, got '" +
               item + "'");
    out.push_back({item, level, {min_match, search_log, window_log}});
  }
  return out;
}

int run(const std::vector<std::string>& args) {
  CommandLine cl("release_time", "upkeep release beside zip -r -6, and the zstd level curve (docs/benchmarks.md).");
  cl.option("dir", "DIR", "the folder to release (default: shared libraries copied from /usr/lib)")
      .option("mib", "N", "MiB of shared libraries to copy when no --dir, default 377")
      .option("runs", "N", "interleaved rounds, default 3")
      .option("levels", "L,L/M/S[/W],...",
              "the curve's settings: zstd levels, or level/minimum match/search log[/window log]; default "
              "1,3,6,9,12,15,16,16/3/2,16/3/3,16/3/2/25,16/3/3/25,17,18,19; none: no curve")
      .flag("json", "print the figures as one JSON object (the text goes to stderr)");
  const ParsedArgs cli = cl.parse(args);
  const int runs = static_cast<int>(cli.int_value_or("runs", 3, 1, 100));
  const std::string level_text = cli.value_or("levels", "1,3,6,9,12,15,16,16/3/2,16/3/3,16/3/2/25,16/3/3/25,17,18,19");
  const std::vector<Setting> levels = level_text == "none" ? std::vector<Setting>{} : settings_of(level_text);
  const stdfs::path upkeep = build_dir() / "upkeep";
  FigureSet figures("release_time", cli.flag("json"));
  figures.param("runs", runs);
  figures.param("mib", cli.value_or("mib", "377"));
  figures.param("dir", cli.value_or("dir", ""));
  figures.param("levels", level_text);

  ScratchDir scratch(temp_base(), "release-time");
  stdfs::path dir = cli.value_or("dir", "");
  if (dir.empty()) {
    dir = scratch.path() / "corpus";
    copy_shared_libraries(dir, static_cast<uint64_t>(cli.int_value_or("mib", 377, 1, 1 << 20)));
  }
  const Corpus corpus = survey(dir);
  // The release's program: the only executable at the top of the folder.
  if (!stdfs::exists(dir / "start.sh")) {
    fs::write_file_atomic(dir / "start.sh", "#!/bin/sh\nexit 0\n");
    stdfs::permissions(dir / "start.sh", stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                                             stdfs::perms::others_read | stdfs::perms::others_exec);
  }
  const unsigned threads = default_thread_count();
  std::printf("release_time: %zu files, %.1f MB in %s; %u threads; load %.2f\n", corpus.files,
              static_cast<double>(corpus.bytes) / 1e6, dir.c_str(), threads, load_average_1min());
  std::fflush(stdout);

  const stdfs::path keys = scratch.path() / "keys";
  time_spawn_wait({upkeep.string(), "keys", "init", "--app-id", "bench", "--keys", keys.string(), "--repo",
                   (scratch.path() / "repo0").string()});
  const char* presets[] = {"fast", "default", "max"};
  std::map<std::string, Sample> samples;
  Sample zip;
  for (int r = 0; r < runs; ++r) {
    const stdfs::path zip_file = scratch.path() / "out.zip";
    stdfs::remove(zip_file);
    const Cost z = run_costed(
        {"/usr/bin/env", "sh", "-c", "cd '" + dir.string() + "' && zip -r -6 -q '" + zip_file.string() + "' ."});
    zip.wall.push_back(z.wall_ms);
    zip.cpu.push_back(z.cpu_ms);
    zip.package = stdfs::file_size(zip_file);
    for (const char* p : presets) {
      const stdfs::path repo = scratch.path() / ("repo-" + std::string(p));
      stdfs::remove_all(repo);
      stdfs::copy(scratch.path() / "repo0", repo, stdfs::copy_options::recursive);
      const Cost c = run_costed({upkeep.string(), "release", dir.string(), "--version", "1.0.0", "--keys",
                                 keys.string(), "--repo", repo.string(), "--compression", p});
      Sample& s = samples[p];
      s.wall.push_back(c.wall_ms);
      s.cpu.push_back(c.cpu_ms);
      s.blobs = target_bytes(repo, "/blobs/");
      s.package = target_bytes(repo, "package.zip");
      stdfs::remove_all(repo);
    }
    std::printf("  round %d of %d done, load %.2f\n", r + 1, runs, load_average_1min());
    std::fflush(stdout);
  }
  const double zip_wall = stats_of(zip.wall).median;
  std::printf("\nmedians of %d rounds            wall      CPU   wall/zip\n", runs);
  print_sample("zip -r -6", zip, zip_wall);
  for (const char* p : presets) print_sample(std::string("upkeep release ") + p, samples[p], zip_wall);
  const double max_blobs = static_cast<double>(samples["max"].blobs);
  const double default_vs_zip = stats_of(samples["default"].wall).median / zip_wall;
  const double blobs_vs_max = (static_cast<double>(samples["default"].blobs) / max_blobs - 1) * 100;
  std::printf("  default: %.2fx zip's wall time (target <= 3x); blobs %+.2f%% of max's (target <= 3%%)\n",
              default_vs_zip, blobs_vs_max);
  figures.at_most("release --compression default, wall / zip -r -6", default_vs_zip, "x", 3, "≤ 3x");
  figures.at_most("default's blobs beside max's (level 19)", blobs_vs_max, "%", 3, "≤ +3 %");
  figures.add("release --compression fast, wall / zip -r -6", stats_of(samples["fast"].wall).median / zip_wall, "x");
  figures.add("release --compression max, wall / zip -r -6", stats_of(samples["max"].wall).median / zip_wall, "x");
  figures.add("zip -r -6, wall", zip_wall / 1e3, "s");

  if (!levels.empty()) {
    std::printf("\ncurve: every file as a blob, %u threads\n  setting    wall      CPU      bytes\n", threads);
    std::vector<Point> points;
    for (const Setting& setting : levels) {
      points.push_back(curve_point(corpus, scratch.path() / "curve", setting, threads));
      const Point& p = points.back();
      std::printf("  %7s %7.1f s %7.1f s %8.1f MB\n", p.setting.name.c_str(), p.wall_ms / 1e3, p.cpu_ms / 1e3,
                  static_cast<double>(p.bytes) / 1e6);
      std::fflush(stdout);
    }
    const auto top = std::find_if(points.begin(), points.end(), [](const Point& p) { return p.setting.name == "19"; });
    if (top != points.end()) {
      std::printf("  against level 19:\n");
      for (const Point& p : points)
        std::printf("  %7s %+7.2f%% bytes %6.2fx time\n", p.setting.name.c_str(),
                    (static_cast<double>(p.bytes) / static_cast<double>(top->bytes) - 1) * 100,
                    p.wall_ms / top->wall_ms);
    }
  }
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return main_of("release_time", run, argc, argv); }

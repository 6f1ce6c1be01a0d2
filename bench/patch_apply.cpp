// patch_apply: what applying a delta costs the client, beside the tools that
// apply the same kind of patch: upkeep's zstd patch beside `zstd -d
// --patch-from` on the very same patch file (it is a plain zstd frame), and
// upkeep's bsdiff-style patch beside Debian's `bspatch` on bsdiff's own
// patch of the same pair (the formats differ; the work is the same kind).
//
// The pairs are the largest changed files (same path, other content) of two
// application folders, by default the browser-class pairs bench/delta/
// fetch_debs.sh unpacks (firefox-esr 140 -> 153, chromium 150 -> 156,
// libreoffice-core 7.4.7 u13 -> u14). Each
// apply runs in a child process (a fork that applies and exits, or the
// tool), so its peak RSS is its own (wait4's ru_maxrss: resident pages,
// mapped files included). Every output is fsynced, as the client's rebuilt
// files are (the tools' outputs by the benchmark, timed with them), and its
// SHA-256 checked once. Runs are interleaved; medians of --runs.
// bsdiff pairs are skipped above 64 MiB (kMaxSuffixSortSource: no bsdiff
// patch is made for them).
//
// x86-64 ELF pairs also get the executable-aware patch (`elf`): its size
// beside the best of the tools run here (zstd -19 --long=31 --patch-from,
// which our zstd patch is byte for byte, `xdelta3 -9` and Debian's bsdiff up
// to 128 MiB), the vendor's cost of making it (wall, peak RSS, in a child),
// and its apply beside `zstd -d --patch-from` of the zstd patch. Its target
// is at most the best tool, and at most 0.6x of it on a point release
// (libreoffice-core: the same sources rebuilt with a security fix, where
// moved references are most of the change) for a file that changed (a best
// tool patch of at least 0.1 % of it). Beside it, what the client fetches:
// the smallest of upkeep's patches, at most the best tool.
//
// usage: patch_apply [--old DIR --new DIR] [--apps DIR] [--files N] [--runs N]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

#include "bench_util.h"
#include "figures.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/hash.h"
#include "upkeep/delta/codec.h"

namespace {

using namespace upkeep;
using namespace upkeep::bench;
namespace stdfs = std::filesystem;

// Debian's bsdiff takes about 17 bytes of memory per source byte and minutes
// beyond this; the elf rows compare with it up to here (above, zstd's patch
// was the best tool on every such file the issue measured).
constexpr uint64_t kMaxToolBsdiffSource = 128ull << 20;

struct Run {
  double ms = 0;
  long max_rss_kib = 0;
};

Run wait_child(pid_t pid, double t0, const std::string& what) {
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR) fail(ErrorCode::kFailure, "wait4 for " + what + " failed");
  const double t1 = now_ms();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(ErrorCode::kFailure, what + " did not exit 0 (status " + std::to_string(status) + ")");
  return {t1 - t0, ru.ru_maxrss};
}

void fsync_path(const stdfs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) fail(ErrorCode::kFailure, "cannot fsync " + p.string());
  ::close(fd);
}

// `work` in a forked child, which exits 0 when it returns true; timed, with
// the child's own peak RSS.
Run in_child(const std::string& what, const std::function<bool()>& work) {
  const double t0 = now_ms();
  const pid_t pid = fork();
  if (pid == 0) {
    try {
      _exit(work() ? 0 : 1);
    } catch (...) {
      _exit(1);
    }
  }
  return wait_child(pid, t0, what);
}

// upkeep's making of a patch (its peak RSS is the vendor's).
Run make_in_child(delta::PatchAlgorithm a, const stdfs::path& old, const stdfs::path& target,
                  const stdfs::path& patch) {
  stdfs::remove(patch);
  return in_child("upkeep's making of " + patch.string(), [&] { return delta::make_patch(a, old, target, patch); });
}

// upkeep's apply (durable, as the client writes it).
Run ours(delta::PatchAlgorithm a, const stdfs::path& old, const stdfs::path& patch, const stdfs::path& out,
         uint64_t size) {
  stdfs::remove(out);
  return in_child("upkeep's apply of " + patch.string(), [&] {
    delta::apply_patch(a, old, patch, out, size);
    return true;
  });
}

// A tool, then an fsync of what it wrote (timed with it).
Run tool(const std::vector<std::string>& argv, const stdfs::path& out) {
  stdfs::remove(out);
  std::vector<char*> cargv;
  for (const auto& s : argv) cargv.push_back(const_cast<char*>(s.c_str()));
  cargv.push_back(nullptr);
  const double t0 = now_ms();
  const pid_t pid = fork();
  if (pid == 0) {
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  Run r = wait_child(pid, t0, argv[0]);
  fsync_path(out);
  r.ms = now_ms() - t0;
  return r;
}

// Two versions of one application; a point release (the same sources rebuilt
// with a fix) holds the elf patch to the stricter target.
struct Folders {
  stdfs::path from, to;
  bool point_release = false;
};

struct Pair {
  std::string path;
  stdfs::path old_file, new_file;
  uint64_t size = 0;
  bool point_release = false;
};

// The `files` largest files of `to` whose content differs from the same path in `from`.
std::vector<Pair> changed_pairs(const Folders& folders, size_t files) {
  const stdfs::path &from = folders.from, &to = folders.to;
  std::vector<Pair> out;
  for (const auto& e : stdfs::recursive_directory_iterator(to)) {
    if (!e.is_regular_file() || e.file_size() < (1u << 20)) continue;
    const std::string rel = stdfs::relative(e.path(), to).string();
    const stdfs::path old = from / rel;
    if (!stdfs::is_regular_file(old) || hash_file_hex(old) == hash_file_hex(e.path())) continue;
    out.push_back({rel, old, e.path(), e.file_size(), folders.point_release});
  }
  std::sort(out.begin(), out.end(), [](const Pair& a, const Pair& b) { return a.size > b.size; });
  if (out.size() > files) out.resize(files);
  return out;
}

struct Row {
  Pair pair;
  uint64_t zstd_patch = 0, our_bsdiff = 0, bsdiff = 0;
  std::vector<Run> ours_zstd, tool_zstd, ours_bsdiff, tool_bsdiff;
  uint64_t elf_patch = 0, xdelta3 = 0;  // elf_patch 0: not an ELF pair
  Run elf_make;
  std::vector<Run> ours_elf;
};

double median_ms(const std::vector<Run>& v) {
  std::vector<double> ms;
  for (const Run& r : v) ms.push_back(r.ms);
  return stats_of(ms).median;
}

long most_rss(const std::vector<Run>& v) {
  long m = 0;
  for (const Run& r : v) m = std::max(m, r.max_rss_kib);
  return m;
}

void check_output(const stdfs::path& out, const Pair& p, const std::string& who) {
  if (hash_file_hex(out) != hash_file_hex(p.new_file))
    fail(ErrorCode::kVerification, who + " rebuilt another file than " + p.new_file.string());
}

Row measure(const Pair& p, const stdfs::path& work, int runs) {
  Row row{p};
  const bool big = p.size > delta::kMaxZstdPatchSource || stdfs::file_size(p.old_file) > delta::kMaxZstdPatchSource;
  const auto zstd_kind = big ? delta::PatchAlgorithm::kZstdLong : delta::PatchAlgorithm::kZstd;
  const stdfs::path zp = work / "patch.zst", up = work / "patch.ubs", bp = work / "patch.bsdiff", out = work / "out";
  for (const auto& f : {zp, up, bp, work / "patch.elf"}) stdfs::remove(f);
  delta::make_patch(zstd_kind, p.old_file, p.new_file, zp);
  row.zstd_patch = stdfs::file_size(zp);
  const bool suffix = stdfs::file_size(p.old_file) <= delta::kMaxSuffixSortSource;
  if (suffix) {
    delta::make_patch(delta::PatchAlgorithm::kBsdiff, p.old_file, p.new_file, up);
    row.our_bsdiff = stdfs::file_size(up);
    time_spawn_wait({"/usr/bin/bsdiff", p.old_file.string(), p.new_file.string(), bp.string()});
    row.bsdiff = stdfs::file_size(bp);
  }
  const std::vector<std::string> zstd_argv{
      "/usr/bin/zstd", "-d", "-q",        "-f", "--long=31", "--patch-from=" + p.old_file.string(),
      zp.string(),     "-o", out.string()};
  const stdfs::path ep = work / "patch.elf", xp = work / "patch.xdelta3";
  const bool elf = delta::is_x86_64_elf(p.old_file) && delta::is_x86_64_elf(p.new_file);
  if (elf) {
    row.elf_make = make_in_child(delta::PatchAlgorithm::kElf, p.old_file, p.new_file, ep);
    row.elf_patch = stdfs::file_size(ep);
    stdfs::remove(xp);
    time_spawn_wait(
        {"/usr/bin/xdelta3", "-9", "-e", "-f", "-s", p.old_file.string(), p.new_file.string(), xp.string()});
    row.xdelta3 = stdfs::file_size(xp);
    stdfs::remove(xp);
    if (!suffix && stdfs::file_size(p.old_file) <= kMaxToolBsdiffSource) {  // its size only: no bspatch row
      time_spawn_wait({"/usr/bin/bsdiff", p.old_file.string(), p.new_file.string(), bp.string()});
      row.bsdiff = stdfs::file_size(bp);
    }
  }
  for (int r = 0; r < runs; ++r) {
    if (elf) {
      row.ours_elf.push_back(ours(delta::PatchAlgorithm::kElf, p.old_file, ep, out, p.size));
      if (r == 0) check_output(out, p, "upkeep's elf apply");
    }
    row.ours_zstd.push_back(ours(zstd_kind, p.old_file, zp, out, p.size));
    if (r == 0) check_output(out, p, "upkeep's zstd apply");
    row.tool_zstd.push_back(tool(zstd_argv, out));
    if (r == 0) check_output(out, p, "zstd --patch-from");
    if (!suffix) continue;
    row.ours_bsdiff.push_back(ours(delta::PatchAlgorithm::kBsdiff, p.old_file, up, out, p.size));
    if (r == 0) check_output(out, p, "upkeep's bsdiff apply");
    row.tool_bsdiff.push_back(tool({"/usr/bin/bspatch", p.old_file.string(), out.string(), bp.string()}, out));
    if (r == 0) check_output(out, p, "bspatch");
  }
  stdfs::remove(out);
  return row;
}

// The elf patch's row: its size beside the best tool's, its making, its apply beside zstd -d's.
void print_elf(const Row& r, FigureSet& figures) {
  if (r.elf_patch == 0) return;
  uint64_t best = std::min(r.zstd_patch, r.xdelta3);
  if (r.bsdiff) best = std::min(best, r.bsdiff);
  const double oe = median_ms(r.ours_elf), tz = median_ms(r.tool_zstd);
  char bsdiff[32] = "-";
  if (r.bsdiff) std::snprintf(bsdiff, sizeof bsdiff, "%.2f", static_cast<double>(r.bsdiff) / 1e6);
  std::printf(
      "  %-44s %10s  elf %9.2f MB, best tool %6.2f MB (zstd %.2f, xdelta3 %.2f, bsdiff %s): %.3fx; made in %.1f s, "
      "%ld KiB; apply %8.1f ms %7ld KiB | zstd -d %.2fx\n",
      "", "", static_cast<double>(r.elf_patch) / 1e6, static_cast<double>(best) / 1e6,
      static_cast<double>(r.zstd_patch) / 1e6, static_cast<double>(r.xdelta3) / 1e6, bsdiff,
      static_cast<double>(r.elf_patch) / static_cast<double>(best), r.elf_make.ms / 1000, r.elf_make.max_rss_kib, oe,
      most_rss(r.ours_elf), oe / tz);
  // What the client downloads: the release keeps the smallest of its patches (delta_builder.cpp).
  uint64_t kept = std::min(r.elf_patch, r.zstd_patch);
  if (r.our_bsdiff) kept = std::min(kept, r.our_bsdiff);
  figures.at_most(r.pair.path + ": upkeep's smallest patch / best tool",
                  static_cast<double>(kept) / static_cast<double>(best), "x", 1.0, "≤ 1x");
  // 0.6x where references dominate the change: a point release's file that changed at all
  // (a best tool patch of 0.1 % of it or more; below, a build ID or a version string moved).
  const bool references = r.pair.point_release && best * 1000 >= r.pair.size;
  const double ratio = static_cast<double>(r.elf_patch) / static_cast<double>(best);
  if (references)
    figures.at_most(r.pair.path + ": elf patch / best tool", ratio, "x", 0.6, "≤ 0.6x (point release)");
  else if (r.pair.point_release)
    figures.add(r.pair.path + ": elf patch / best tool", ratio, "x", "the file hardly changed: no target");
  else
    figures.at_most(r.pair.path + ": elf patch / best tool", ratio, "x", 1.0, "≤ 1x");
  figures.add(r.pair.path + ": elf patch made, peak RSS", static_cast<double>(r.elf_make.max_rss_kib) / 1024, "MiB");
  figures.at_most(r.pair.path + ": elf apply / zstd -d --patch-from", oe / tz, "x", 1.2, "≤ 1.2x");
}

void print_row(const Row& r, FigureSet& figures) {
  const double oz = median_ms(r.ours_zstd), tz = median_ms(r.tool_zstd);
  std::printf("  %-44s %7.1f MB  zstd patch %8.2f MB: upkeep %8.1f ms %7ld KiB | zstd -d %8.1f ms %7ld KiB | %.2fx\n",
              r.pair.path.c_str(), static_cast<double>(r.pair.size) / 1e6, static_cast<double>(r.zstd_patch) / 1e6, oz,
              most_rss(r.ours_zstd), tz, most_rss(r.tool_zstd), oz / tz);
  figures.at_most(r.pair.path + ": zstd apply / zstd -d --patch-from", oz / tz, "x", 1.2, "≤ 1.2x");
  print_elf(r, figures);
  if (r.ours_bsdiff.empty()) return;
  const double ob = median_ms(r.ours_bsdiff), tb = median_ms(r.tool_bsdiff);
  std::printf(
      "  %-44s %10s  bsdiff %6.2f MB (bsdiff's %6.2f MB): upkeep %8.1f ms %7ld KiB | bspatch %8.1f ms %7ld "
      "KiB | %.2fx\n",
      "", "", static_cast<double>(r.our_bsdiff) / 1e6, static_cast<double>(r.bsdiff) / 1e6, ob, most_rss(r.ours_bsdiff),
      tb, most_rss(r.tool_bsdiff), ob / tb);
  figures.at_most(r.pair.path + ": bsdiff apply / bspatch", ob / tb, "x", 1.2, "≤ 1.2x");
}

// The pairs of the default run: each package's two unpacked versions under APPS.
std::vector<Folders> default_folders(const stdfs::path& apps) {
  struct Series {
    const char* name;
    const char *from, *to;
    bool point_release;
  };
  static const Series kSeries[] = {
      {"chromium", "150.0.7871.100-1~deb12u1", "156.0.8078.129-1~deb12u1", false},
      {"firefox-esr", "140.12.0esr-1~deb12u1", "153.8.0esr-1~deb12u1", false},
      {"libreoffice-core", "4:7.4.7-1+deb12u13", "4:7.4.7-1+deb12u14", true},
  };
  std::vector<Folders> out;
  for (const Series& s : kSeries)
    if (stdfs::exists(apps / s.name / s.from) && stdfs::exists(apps / s.name / s.to))
      out.push_back({apps / s.name / s.from, apps / s.name / s.to, s.point_release});
  if (out.empty())
    fail(ErrorCode::kNotFound,
         "no application folders under " + apps.string() +
             " (run bench/delta/fetch_debs.sh chromium firefox-esr libreoffice-core first, or give --old/--new)");
  return out;
}

int run(const std::vector<std::string>& args) {
  CommandLine cl("patch_apply", "upkeep's patch apply beside zstd --patch-from and bspatch (docs/benchmarks.md).");
  cl.option("old", "DIR", "the older application folder (with --new)")
      .option("new", "DIR", "the newer application folder")
      .option("apps", "DIR", "the folders fetch_debs.sh unpacked, default build/delta-bench/apps")
      .option("files", "N", "the N largest changed files of each pair, default 4")
      .option("runs", "N", "interleaved runs of each apply, default 5")
      .flag("json", "print the figures as one JSON object (the text goes to stderr)");
  const ParsedArgs cli = cl.parse(args);
  const int runs = static_cast<int>(cli.int_value_or("runs", 5, 1, 100));
  const size_t files = static_cast<size_t>(cli.int_value_or("files", 4, 1, 1000));
  FigureSet figures("patch_apply", cli.flag("json"));
  figures.param("runs", runs);
  figures.param("files", static_cast<int64_t>(files));
  std::vector<Folders> folders;
  if (cli.value("old") || cli.value("new")) {
    if (!cli.value("old") || !cli.value("new")) fail(ErrorCode::kUsage, "--old and --new go together");
    folders.push_back({*cli.value("old"), *cli.value("new")});
  } else {
    folders = default_folders(cli.value_or("apps", (build_dir() / "delta-bench" / "apps").string()));
  }
  ScratchDir work(temp_base(), "patch-apply");
  std::printf("patch_apply: %d runs each, interleaved; load %.2f\n", runs, load_average_1min());
  for (const Folders& f : folders) {
    std::printf("%s -> %s\n", f.from.c_str(), f.to.filename().c_str());
    std::fflush(stdout);
    for (const Pair& p : changed_pairs(f, files)) {
      print_row(measure(p, work.path(), runs), figures);
      std::fflush(stdout);
    }
  }
  std::printf("load %.2f at the end\n", load_average_1min());
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return main_of("patch_apply", run, argc, argv); }

// deploy_time: what an install costs, online and from an offline bundle, and
// what `upkeep repair` costs on an intact install, each beside the plain
// tools doing the same bytes' work.
//
// It publishes one release (./mainapp, its VERSION and --files files of
// --file-kib KiB of incompressible bytes) into a scratch repository served by
// the in-process RepoServer on 127.0.0.1, makes an offline bundle of it with
// the real `upkeep bundle` (with debug info stripped from the programs it
// carries, as a vendor ships them), then, interleaved in each round:
//   (a) `upkeep install --repo URL --prefix ...` (TUF refresh, package
//       download, verification, extraction, state, launcher);
//   (b) the bundle itself run with --prefix ... (no network: payload
//       unpacked, then the same install from it);
//   (c) `curl -o package.zip` of the package plus `unzip -q` of it: the bytes
//       moved and unpacked with no verification at all (the floor for a);
//   (d) `upkeep repair --prefix ...` of an intact install (every file's
//       SHA-256 against the signed manifest);
//   (e) `sha256sum` of the same files (the floor for d).
// The install roots are removed and sync() run between samples, untimed.
// Prints medians and ratios, not pass/fail.
//
// usage: deploy_time [--runs N] [--files N] [--file-kib N]
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "bench_util.h"
#include "figures.h"
#include "upkeep/base/command_line.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/platform/fs.h"

namespace {

using namespace upkeep;
using namespace upkeep::bench;
namespace stdfs = std::filesystem;

stdfs::path package_of(const stdfs::path& repo) {
  for (const auto& e : stdfs::recursive_directory_iterator(repo / "targets"))
    if (e.path().filename().string().find(".package.zip") != std::string::npos) return e.path();
  fail(ErrorCode::kNotFound, "deploy_time: no package in " + repo.string());
}

void print_row(const char* name, const std::vector<double>& ms) {
  const Stats s = stats_of(ms);
  std::printf("  %-44s %9.1f ms  (p10 %.1f, p90 %.1f, n=%zu)\n", name, s.median, s.p10, s.p90, s.n);
}

// The vendor's side of the world: keys, one release, the repository served,
// stripped tools and the offline bundle made from them.
struct World {
  stdfs::path s, bin, bundle, package;
  std::string upkeep, url, package_url, root_json;
};

void make_release(World& w, int files, uint64_t file_kib) {
  const stdfs::path build = w.s / "build";
  stdfs::create_directories(build);
  stdfs::copy_file(w.bin / "mainapp", build / "mainapp");
  fs::write_file_atomic(build / "VERSION", "1.0.0\n");
  for (int i = 0; i < files; ++i)
    write_random_file(build / "data" / ("d" + std::to_string(i / 100)) / ("f" + std::to_string(i) + ".bin"),
                      file_kib * 1024, static_cast<uint64_t>(i) + 1);
  time_spawn_wait({w.upkeep, "keys", "init", "--app-id", "bench", "--keys", (w.s / "keys").string(), "--repo",
                   (w.s / "repo").string()});
  time_spawn_wait({w.upkeep, "release", build.string(), "--version", "1.0.0", "--keys", (w.s / "keys").string(),
                   "--repo", (w.s / "repo").string(), "--no-delta"});
  std::printf("release: %d files, %.1f MiB; ", files + 2, static_cast<double>(tree_bytes(build)) / (1 << 20));
}

void make_bundle(World& w) {
  // A vendor ships stripped programs; ours carry 50-100 MB of debug info each.
  const stdfs::path tools = w.s / "tools";
  stdfs::create_directories(tools);
  for (const char* name : {"upkeep", "launcher", "upkeep-updater"}) {
    stdfs::copy_file(w.bin / name, tools / name);
    time_spawn_wait({"/usr/bin/strip", "--strip-debug", (tools / name).string()});
  }
  w.bundle = w.s / "bench-1.0.0.bundle";
  const double bundle_ms =
      time_spawn_wait({w.upkeep, "bundle", "--version", "1.0.0", "-o", w.bundle.string(), "--repo",
                       (w.s / "repo").string(), "--update-url", w.url, "--program", (tools / "upkeep").string(),
                       "--launcher", (tools / "launcher").string(), "--updater", (tools / "upkeep-updater").string()});
  w.package = package_of(w.s / "repo");
  w.package_url = w.url + stdfs::relative(w.package, w.s / "repo").generic_string();
  std::printf("package %.1f MiB; bundle %.1f MiB (written in %.0f ms)\n",
              static_cast<double>(stdfs::file_size(w.package)) / (1 << 20),
              static_cast<double>(stdfs::file_size(w.bundle)) / (1 << 20), bundle_ms);
}

struct Samples {
  std::vector<double> online, offline, floor_install, repair, floor_repair;
};

void reset(const stdfs::path& p) {
  std::error_code ec;
  stdfs::remove_all(p, ec);
  ::sync();
}

// One round of each, interleaved so every command sees the same machine state.
void measure_round(const World& w, const stdfs::path& kept, const std::string& hash_all, Samples& out) {
  const stdfs::path a = w.s / "a", b = w.s / "b", c = w.s / "c";
  reset(a);
  out.online.push_back(time_spawn_wait({w.upkeep, "install", "--repo", w.url, "--prefix", a.string(), "--trusted-root",
                                        w.root_json, "--silent", "--no-shortcut"}));
  reset(a);
  out.offline.push_back(time_spawn_wait(
      {w.bundle.string(), "--prefix", b.string(), "--trusted-root", w.root_json, "--silent", "--no-shortcut"}));
  reset(b);
  stdfs::create_directories(c);
  out.floor_install.push_back(
      time_spawn_wait({"/bin/sh", "-c",
                       "/usr/bin/curl -s -o " + (c / "p.zip").string() + " " + w.package_url +
                           " && /usr/bin/unzip -q " + (c / "p.zip").string() + " -d " + (c / "x").string()}));
  reset(c);
  out.repair.push_back(time_spawn_wait({w.upkeep, "repair", "--prefix", kept.string(), "--silent"}));
  out.floor_repair.push_back(time_spawn_wait({"/bin/sh", "-c", hash_all}));
}

void print_report(const Samples& m, int runs, FigureSet& figures) {
  std::printf("\n%d rounds, interleaved (load %.2f at the end):\n", runs, load_average_1min());
  print_row("(a) upkeep install --repo (online)", m.online);
  print_row("(b) the bundle, run offline", m.offline);
  print_row("(c) curl -o package + unzip (no checks)", m.floor_install);
  print_row("(d) upkeep repair, intact install", m.repair);
  print_row("(e) sha256sum of the same files", m.floor_repair);
  const double a = stats_of(m.online).median, b = stats_of(m.offline).median, c = stats_of(m.floor_install).median;
  const double d = stats_of(m.repair).median, e = stats_of(m.floor_repair).median;
  std::printf(
      "\nratios of medians: bundle/online %.2f, online/(curl+unzip) %.2f, bundle/(curl+unzip) %.2f, "
      "repair/sha256sum %.2f\n",
      b / a, a / c, b / c, d / e);
  // Section 5 states no targets: the ratios are reported.
  figures.add("online install / (curl + unzip)", a / c, "x");
  figures.add("bundle / online install", b / a, "x");
  figures.add("repair / sha256sum", d / e, "x");
  figures.add("online install, median", a, "ms");
  figures.add("repair of an intact install, median", d, "ms");
}

int run(const std::vector<std::string>& argv) {
  const ParsedArgs args = CommandLine("deploy_time", "Times a first install and an update of a synthetic app.")
                              .option("runs", "N", "measured runs, default 5")
                              .option("files", "N", "files in the app, default 200")
                              .option("file-kib", "K", "size of each file in KiB, default 256")
                              .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                              .parse(argv);
  const int runs = static_cast<int>(args.int_value_or("runs", 5, 1, 1000));
  const int files = static_cast<int>(args.int_value_or("files", 200, 0, 100000));
  const uint64_t file_kib = static_cast<uint64_t>(args.int_value_or("file-kib", 256, 1, 1 << 20));
  FigureSet figures("deploy_time", args.flag("json"));
  figures.param("runs", runs);
  figures.param("files", files);
  figures.param("file_kib", file_kib);

  ScratchDir scratch(temp_base(), "deploy-bench");
  World w;
  w.s = scratch.path();
  w.bin = build_dir();
  w.upkeep = (w.bin / "upkeep").string();
  std::printf("deploy_time: scratch %s, load %.2f\n", w.s.c_str(), load_average_1min());
  make_release(w, files, file_kib);
  net::RepoServer server(w.s / "repo");
  server.start();
  w.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  w.root_json = (w.s / "repo" / "metadata" / "1.root.json").string();
  make_bundle(w);

  const stdfs::path kept = w.s / "kept";  // the install repair checks
  time_spawn_wait({w.upkeep, "install", "--repo", w.url, "--prefix", kept.string(), "--trusted-root", w.root_json,
                   "--silent", "--no-shortcut"});
  const std::string hash_all =
      "find " + (kept / "versions" / "1.0.0").string() + " -type f -exec sha256sum {} + > /dev/null";
  Samples samples;
  for (int i = 0; i < runs; ++i) measure_round(w, kept, hash_all, samples);
  server.stop();
  print_report(samples, runs, figures);
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return main_of("deploy_time", run, argc, argv); }

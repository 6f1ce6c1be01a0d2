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
#include "upkeep/base/cli_args.h"
#include "upkeep/platform/fs.h"
#include "upkeep/net/repo_server.h"

namespace {

using namespace upkeep;
using namespace upkeep::bench;
namespace stdfs = std::filesystem;

void write_random(const stdfs::path& p, uint64_t bytes, uint64_t seed) {
  std::string data(bytes, '\0');
  Prng rng{seed * 0x9E3779B97F4A7C15ull + 1};
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = rng.next();
    std::memcpy(&data[i], &v, 8);
  }
  fs::create_directories_durable(p.parent_path());
  fs::write_file_atomic(p, data);
}

stdfs::path package_of(const stdfs::path& repo) {
  for (const auto& e : stdfs::recursive_directory_iterator(repo / "targets"))
    if (e.path().filename().string().find(".package.zip") != std::string::npos) return e.path();
  fail(ErrorCode::kNotFound, "deploy_time: no package in " + repo.string());
}

void print_row(const char* name, const std::vector<double>& ms) {
  const Stats s = stats_of(ms);
  std::printf("  %-44s %9.1f ms  (p10 %.1f, p90 %.1f, n=%zu)\n", name, s.median, s.p10, s.p90, s.n);
}

int run(const std::vector<std::string>& argv) {
  CliArgs args(argv, {.values = {"runs", "files", "file-kib"}});
  const int runs = static_cast<int>(args.int_value_or("runs", 5, 1, 1000));
  const int files = static_cast<int>(args.int_value_or("files", 200, 0, 100000));
  const uint64_t file_kib = static_cast<uint64_t>(args.int_value_or("file-kib", 256, 1, 1 << 20));
  const stdfs::path bin = build_dir();
  const std::string upkeep = (bin / "upkeep").string();

  ScratchDir scratch(temp_base(), "deploy-bench");
  const stdfs::path s = scratch.path();
  std::printf("deploy_time: scratch %s, load %.2f\n", s.c_str(), load_average_1min());
  const stdfs::path build = s / "build";
  stdfs::create_directories(build);
  stdfs::copy_file(bin / "mainapp", build / "mainapp");
  fs::write_file_atomic(build / "VERSION", "1.0.0\n");
  for (int i = 0; i < files; ++i)
    write_random(build / "data" / ("d" + std::to_string(i / 100)) / ("f" + std::to_string(i) + ".bin"), file_kib * 1024,
                 static_cast<uint64_t>(i) + 1);
  const uint64_t bytes = tree_bytes(build);
  const int file_count = files + 2;

  time_spawn_wait(
      {upkeep, "keys", "init", "--app-id", "bench", "--keys", (s / "keys").string(), "--repo", (s / "repo").string()});
  time_spawn_wait({upkeep, "release", build.string(), "--version", "1.0.0", "--keys", (s / "keys").string(), "--repo",
                   (s / "repo").string(), "--no-delta"});
  net::RepoServer server(s / "repo");
  server.start();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  const std::string root_json = (s / "repo" / "metadata" / "1.root.json").string();
  // A vendor ships stripped programs; ours carry 50-100 MB of debug info each.
  const stdfs::path tools = s / "tools";
  stdfs::create_directories(tools);
  for (const char* name : {"upkeep", "launcher", "upkeep-updater"}) {
    stdfs::copy_file(bin / name, tools / name);
    time_spawn_wait({"/usr/bin/strip", "--strip-debug", (tools / name).string()});
  }
  const stdfs::path bundle = s / "bench-1.0.0.bundle";
  const double bundle_ms =
      time_spawn_wait({upkeep, "bundle", "--version", "1.0.0", "-o", bundle.string(), "--repo", (s / "repo").string(),
                       "--update-url", url, "--program", (tools / "upkeep").string(), "--launcher",
                       (tools / "launcher").string(), "--updater", (tools / "upkeep-updater").string()});
  const stdfs::path package = package_of(s / "repo");
  const std::string package_url = url + stdfs::relative(package, s / "repo").generic_string();
  std::printf("release: %d files, %.1f MiB; package %.1f MiB; bundle %.1f MiB (written in %.0f ms)\n", file_count,
              static_cast<double>(bytes) / (1 << 20), static_cast<double>(stdfs::file_size(package)) / (1 << 20),
              static_cast<double>(stdfs::file_size(bundle)) / (1 << 20), bundle_ms);

  std::vector<double> online, offline, floor_install, repair, floor_repair;
  const stdfs::path kept = s / "kept";  // the install repair checks
  time_spawn_wait({upkeep, "install", "--repo", url, "--prefix", kept.string(), "--trusted-root", root_json, "--silent",
                   "--no-shortcut"});
  const std::string hash_all =
      "find " + (kept / "versions" / "1.0.0").string() + " -type f -exec sha256sum {} + > /dev/null";
  auto reset = [&](const stdfs::path& p) {
    std::error_code ec;
    stdfs::remove_all(p, ec);
    ::sync();
  };
  for (int i = 0; i < runs; ++i) {
    const stdfs::path a = s / "a", b = s / "b", c = s / "c";
    reset(a);
    online.push_back(time_spawn_wait({upkeep, "install", "--repo", url, "--prefix", a.string(), "--trusted-root",
                                      root_json, "--silent", "--no-shortcut"}));
    reset(a);
    offline.push_back(time_spawn_wait(
        {bundle.string(), "--prefix", b.string(), "--trusted-root", root_json, "--silent", "--no-shortcut"}));
    reset(b);
    stdfs::create_directories(c);
    floor_install.push_back(
        time_spawn_wait({"/bin/sh", "-c",
                         "/usr/bin/curl -s -o " + (c / "p.zip").string() + " " + package_url +
                             " && /usr/bin/unzip -q " + (c / "p.zip").string() + " -d " + (c / "x").string()}));
    reset(c);
    repair.push_back(time_spawn_wait({upkeep, "repair", "--prefix", kept.string(), "--silent"}));
    floor_repair.push_back(time_spawn_wait({"/bin/sh", "-c", hash_all}));
  }
  server.stop();

  std::printf("\n%d rounds, interleaved (load %.2f at the end):\n", runs, load_average_1min());
  print_row("(a) upkeep install --repo (online)", online);
  print_row("(b) the bundle, run offline", offline);
  print_row("(c) curl -o package + unzip (no checks)", floor_install);
  print_row("(d) upkeep repair, intact install", repair);
  print_row("(e) sha256sum of the same files", floor_repair);
  const double a = stats_of(online).median, b = stats_of(offline).median, c = stats_of(floor_install).median;
  const double d = stats_of(repair).median, e = stats_of(floor_repair).median;
  std::printf(
      "\nratios of medians: bundle/online %.2f, online/(curl+unzip) %.2f, bundle/(curl+unzip) %.2f, "
      "repair/sha256sum %.2f\n",
      b / a, a / c, b / c, d / e);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return main_of("deploy_time", run, argc, argv); }

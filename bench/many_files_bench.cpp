// many_files_bench: a release of many small files (issue #17), side by side
// in one run (docs/benchmarks.md, "Many files").
//
// Staging: a package of --files small files (default 65,536: 64 B to 2 KiB,
// 256 per folder) is extracted by upkeep's extract_package (every entry
// checked against the signed manifest and hashed, written, the tree made
// durable with one fs::sync_tree, renamed into place) and then applied
// (Applier::apply into a fresh install root), interleaved with `unzip -q`
// of the same package followed by `sync` (what durable costs without
// checks). --runs of each.
//
// Launcher exit: the real programs. The same files released (`upkeep
// release --health exit`, the program a shell script) as 1.0.0 and
// installed with `upkeep install` (its staging timed: the stager through
// the network and the TUF client), 2.0.0 and 3.0.0 small; after
// `launcher --upkeep-check-now` twice, 3.0.0's trial removes the 65k-file
// 1.0.0. Measured: from the program's output (its last act) to the
// launcher's exit, which used to include the removal of the old version.
// Then how long the detached emptier took to delete it. --exit-runs of it.
//
// Scratch data under $TMPDIR, else /var/tmp; deleting it at the end takes a
// while (files that were synced). Prints figures, not pass/fail.
//
// usage: many_files_bench [--files N] [--runs N] [--exit-runs N]
#include <fcntl.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "bench_util.h"
#include "figures.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/hash.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/pending_marker.h"
#include "upkeep/install/state_store.h"
#include "upkeep/net/repo_server.h"
#include "upkeep/update/package.h"

namespace {

using namespace upkeep;
using bench::now_ms;
using bench::Prng;
using bench::time_spawn_wait;
namespace stdfs = std::filesystem;

// `files` small files of random bytes below `dir`, 256 per folder, no sync.
void generate(const stdfs::path& dir, int files) {
  Prng rng{0x5eed};
  std::string buf(2048, '\0');
  for (int i = 0; i < files; ++i) {
    stdfs::path folder = dir / "data" / ("d" + std::to_string(i / 256));
    if (i % 256 == 0) stdfs::create_directories(folder);
    size_t n = 64 + rng.next() % (2048 - 64);
    for (size_t k = 0; k < n; ++k) buf[k] = static_cast<char>(rng.next());
    std::ofstream(folder / ("f" + std::to_string(i)), std::ios::binary).write(buf.data(), static_cast<long>(n));
  }
}

// Staged by upkeep's extraction into a fresh root with 1.0.0 current, then applied; returns {stage ms, apply ms}.
std::pair<double, double> stage_and_apply(const stdfs::path& zip, const FileManifest& manifest,
                                          const std::string& manifest_text, const stdfs::path& root) {
  Layout layout(root);
  stdfs::create_directories(layout.version_dir("1.0.0"));
  fs::write_file_atomic(layout.version_dir("1.0.0") / "app", "#!/bin/sh\nexit 0\n", 0755);
  layout.switch_current("1.0.0");
  stdfs::create_directories(layout.manifests_dir());
  fs::write_file_atomic(layout.manifest_file("2.0.0"), manifest_text);
  StateStore store(layout.state_db());
  store.record_installed("1.0.0", "");
  double t0 = now_ms();
  extract_package(zip, layout.staged_dir("2.0.0"), manifest);
  double t1 = now_ms();
  PendingMarker(layout).set();
  store.record_staged("2.0.0", sha256_hex(manifest_text), manifest.listing_digest());
  double t2 = now_ms();
  Applier(layout, store, 3).apply("2.0.0");
  return {t1 - t0, now_ms() - t2};
}

double unzip_and_sync(const stdfs::path& zip, const stdfs::path& dest) {
  return time_spawn_wait({"/usr/bin/unzip", "-q", zip.string(), "-d", dest.string()}) +
         time_spawn_wait({"/usr/bin/sync"});
}

// Runs argv with stdout on a pipe; returns the ms from its first output line to its exit (which must be 0).
double exit_after_output(const std::vector<std::string>& argv) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) fail(ErrorCode::kFailure, "pipe failed");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) fail(ErrorCode::kFailure, "cannot start " + argv[0]);
  char c = 0;
  while (read(out[0], &c, 1) == 1 && c != '\n') {
  }
  double t_output = now_ms();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  double t_exit = now_ms();
  close(out[0]);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail(ErrorCode::kFailure, argv[0] + " did not exit 0");
  return t_exit - t_output;
}

// Blocks (inotify) until `dir` is empty; returns the ms it took.
double wait_until_empty(const stdfs::path& dir) {
  double t0 = now_ms();
  int fd = inotify_init1(IN_CLOEXEC);
  inotify_add_watch(fd, dir.c_str(), IN_DELETE | IN_MOVED_FROM);
  char buf[4096];
  while (!stdfs::is_empty(dir))
    if (read(fd, buf, sizeof buf) < 0 && errno != EINTR) break;
  close(fd);
  return now_ms() - t0;
}

struct ExitRun {
  double install_ms, exit_delay_ms, emptied_ms;
};

// A script program that prints its version: the files of `data` (if any) beside it.
void release(const stdfs::path& s, const std::string& upkeep, const stdfs::path& folder, const std::string& v) {
  stdfs::create_directories(folder);
  fs::write_file_atomic(folder / "app", "#!/bin/sh\necho app " + v + "\n", 0755);
  time_spawn_wait({upkeep, "release", folder.string(), "--version", v, "--keys", (s / "keys").string(), "--repo",
                   (s / "repo").string(), "--no-delta", "--program", "app", "--health", "exit"});
}

// A fresh install of 1.0.0; a check takes it to the newest release, `next` is
// released, and a second check applies it, whose trial removes 1.0.0.
ExitRun launcher_exit(const stdfs::path& s, const std::string& url, int run, const std::string& next) {
  const std::string upkeep = (bench::build_dir() / "upkeep").string();
  stdfs::path prefix = s / ("install-" + std::to_string(run));
  ExitRun r{};
  r.install_ms = time_spawn_wait({upkeep, "install", "--repo", url, "--prefix", prefix.string(), "--version", "1.0.0",
                                  "--trusted-root", (s / "repo/metadata/1.root.json").string()});
  const std::string launcher = (prefix / "bench").string();
  time_spawn_wait({launcher, "--upkeep-check-now"});  // 1.0.0 stays as the rollback target
  release(s, upkeep, s / ("app-" + next), next);
  r.exit_delay_ms = exit_after_output({launcher, "--upkeep-check-now"});
  r.emptied_ms = wait_until_empty(prefix / "trash");
  return r;
}

int run(const std::vector<std::string>& args) {
  const ParsedArgs cli = CommandLine("many_files_bench", "Stages and applies an update of an app with many files.")
                             .option("files", "N", "files in the app, default 65536")
                             .option("runs", "N", "measured runs, default 3")
                             .option("exit-runs", "N", "runs that also time the exit, default 1")
                             .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                             .parse(args);
  const int files = static_cast<int>(cli.int_value_or("files", 65536, 1, 10000000));
  const int runs = static_cast<int>(cli.int_value_or("runs", 3, 1, 100));
  const int exit_runs = static_cast<int>(cli.int_value_or("exit-runs", 1, 0, 100));
  spdlog::set_level(spdlog::level::warn);
  bench::FigureSet figures("many_files_bench", cli.flag("json"));
  figures.param("files", files);
  figures.param("runs", runs);
  figures.param("exit_runs", exit_runs);
  bench::ScratchDir scratch(bench::temp_base(), "many-files-bench");
  const stdfs::path s = scratch.path();
  std::printf("many_files_bench: %d files, %d runs, %d launcher-exit runs, scratch %s, load %.2f\n", files, runs,
              exit_runs, s.c_str(), bench::load_average_1min());

  stdfs::path many = s / "app-1.0.0";
  generate(many, files);
  FileManifest manifest = FileManifest::from_directory(many, "2.0.0");
  std::string manifest_text = manifest.to_json();
  stdfs::path zip = s / "package.zip";
  create_package(many, manifest, zip);
  ::sync();
  std::printf("  package: %s bytes, %zu entries\n", std::to_string(stdfs::file_size(zip)).c_str(),
              manifest.files().size());

  std::vector<double> stage, apply, unzip;
  for (int i = 0; i < runs; ++i) {
    auto [st, ap] = stage_and_apply(zip, manifest, manifest_text, s / ("root-" + std::to_string(i)));
    double uz = unzip_and_sync(zip, s / ("unzip-" + std::to_string(i)));
    std::printf("  run %d: upkeep stage %.0f ms, apply %.1f ms; unzip -q + sync %.0f ms\n", i + 1, st, ap, uz);
    stage.push_back(st);
    apply.push_back(ap);
    unzip.push_back(uz);
  }
  auto st = bench::stats_of(stage), ap = bench::stats_of(apply), uz = bench::stats_of(unzip);
  std::printf(
      "staging %d files, median (min): upkeep %.0f (%.0f) ms, unzip -q + sync %.0f (%.0f) ms: %.2fx; apply "
      "%.1f ms\n",
      files, st.median, st.min, uz.median, uz.min, st.median / uz.median, ap.median);
  figures.add("stage " + std::to_string(files) + " files, upkeep, median", st.median, "ms");
  figures.at_most("stage / (unzip -q + sync)", st.median / uz.median, "x", 2, "≤ 2x");
  figures.add("apply, median", ap.median, "ms");

  if (exit_runs > 0) {
    const std::string upkeep = (bench::build_dir() / "upkeep").string();
    time_spawn_wait({upkeep, "keys", "init", "--app-id", "bench", "--keys", (s / "keys").string(), "--repo",
                     (s / "repo").string()});
    release(s, upkeep, many, "1.0.0");
    release(s, upkeep, s / "app-2.0.0", "2.0.0");
    net::RepoServer server(s / "repo");
    server.start();
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
    std::vector<double> install, delay, emptied;
    for (int i = 0; i < exit_runs; ++i) {
      ExitRun r = launcher_exit(s, url, i, std::to_string(i + 3) + ".0.0");
      std::printf(
          "  exit run %d: install (staging %d files) %.0f ms; launcher exit %.1f ms after the app's output; "
          "old version deleted in the background in %.0f ms\n",
          i + 1, files, r.install_ms, r.exit_delay_ms, r.emptied_ms);
      install.push_back(r.install_ms);
      delay.push_back(r.exit_delay_ms);
      emptied.push_back(r.emptied_ms);
    }
    std::printf(
        "launcher exit after the app, median: %.1f ms (old version of %d files deleted after it in %.0f ms); "
        "upkeep install %.0f ms\n",
        bench::stats_of(delay).median, files, bench::stats_of(emptied).median, bench::stats_of(install).median);
    // Section 8: the launcher ends with the app (issue #17 measured 224 s); the doc gives no number.
    figures.add("launcher exit after the app's output, median", bench::stats_of(delay).median, "ms",
                "target: ends with the app");
    figures.add("old version deleted in the background, median", bench::stats_of(emptied).median, "ms");
  }
  std::printf("load %.2f; deleting the scratch folder (synced files: slow)\n", bench::load_average_1min());
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return upkeep::bench::main_of("many_files_bench", run, argc, argv); }

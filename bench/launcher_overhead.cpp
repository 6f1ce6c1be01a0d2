// launcher_overhead: what the launcher's fast path costs on every start.
//
// Builds a real install root in a scratch folder (version 1.0.0 holding a
// copy of ./mainapp, `current` -> versions/1.0.0, config.json, state.db, the
// version's launch file as a release declares it, and `.running` as a
// per-machine install has it; the launcher copied in as <root>/bench) and times, interleaved in one run:
//   (a) direct:   <root>/versions/1.0.0/mainapp --version
//   (b) launcher: <root>/bench --version   (fast path: exec of the same mainapp)
// For the launcher's own cost apart from the main program, the same pair
// runs against a second root whose "mainapp" is /bin/true:
//   (c) true direct, (d) launcher -> true.
// Each sample is spawn + wait on CLOCK_MONOTONIC, stdout on /dev/null. The
// order of the four rotates every round so none always runs on a warmer cache.
// Prints figures, not pass/fail.
//
// usage: launcher_overhead [--runs N] [--warmup N]
#include <cstdio>
#include <fstream>

#include "bench_util.h"
#include "figures.h"
#include "upkeep/base/command_line.h"
#include "upkeep/install/launch_spec.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/policy/config.h"

namespace {

using namespace upkeep;
namespace stdfs = std::filesystem;

void copy_program(const stdfs::path& from, const stdfs::path& to) {
  if (!stdfs::exists(from))
    fail(ErrorCode::kNotFound, from.string() + " is missing: build it first (see docs/benchmarks.md)");
  stdfs::copy_file(from, to, stdfs::copy_options::overwrite_existing);
  stdfs::permissions(to, stdfs::perms::owner_all | stdfs::perms::group_read | stdfs::perms::group_exec |
                             stdfs::perms::others_read | stdfs::perms::others_exec);
}

// The root an installer would leave behind, made directly.
void make_root(const stdfs::path& root, const stdfs::path& build, const stdfs::path& main_program) {
  stdfs::create_directories(root / "versions" / "1.0.0");
  copy_program(main_program, root / "versions" / "1.0.0" / "mainapp");
  stdfs::create_directory_symlink("versions/1.0.0", root / "current");
  Config config;
  config.app_id = "bench";
  config.repository_url = "http://127.0.0.1:1/";
  config.main_program = "mainapp";
  config.save(root / "config.json");
  StateStore(root / "state.db").record_installed("1.0.0", "");
  // What the fast path reads besides `current`: the version's declared
  // program (the launch file) and the per-machine running lock.
  Layout layout(root);
  stdfs::create_directories(layout.manifests_dir());
  LaunchSpec{"mainapp", {}, HealthRule::parse("running:10")}.save(layout.launch_file("1.0.0"));
  { std::ofstream(layout.running_lock_file()); }
  copy_program(build / "launcher", root / "bench");
}

void print_row(const char* name, const bench::Stats& s) {
  std::printf("  %-26s median %7.3f ms   p10 %7.3f   p90 %7.3f   min %7.3f   (n=%zu)\n", name, s.median, s.p10, s.p90,
              s.min, s.n);
}

int run(const std::vector<std::string>& argv) {
  const ParsedArgs args = CommandLine("launcher_overhead", "Times the launcher's fast path against a direct start.")
                              .option("runs", "N", "measured runs, default 300")
                              .option("warmup", "N", "runs not measured first, default 20")
                              .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                              .parse(argv);
  int runs = static_cast<int>(args.int_value_or("runs", 300, 1, 1000000));
  int warmup = static_cast<int>(args.int_value_or("warmup", 20, 0, 100000));
  bench::FigureSet figures("launcher_overhead", args.flag("json"));
  figures.param("runs", runs);
  figures.param("warmup", warmup);

  stdfs::path build = bench::build_dir();
  bench::ScratchDir scratch(bench::temp_base(), "upkeep-bench-launcher");
  stdfs::path root = scratch.path() / "root", troot = scratch.path() / "true-root";
  make_root(root, build, build / "mainapp");
  make_root(troot, build, "/bin/true");

  // (a) direct, (b) via the launcher, (c) /bin/true direct, (d) launcher -> /bin/true.
  const std::vector<std::vector<std::string>> cmds{{(root / "versions" / "1.0.0" / "mainapp").string(), "--version"},
                                                   {(root / "bench").string(), "--version"},
                                                   {(troot / "versions" / "1.0.0" / "mainapp").string(), "--version"},
                                                   {(troot / "bench").string(), "--version"}};

  std::printf("launcher_overhead: %d interleaved runs (after %d warm-up runs each), roots under %s\n", runs, warmup,
              scratch.path().c_str());
  std::printf("  load average (1 min) before: %.2f\n", bench::load_average_1min());
  for (int i = 0; i < warmup; ++i)
    for (const auto& c : cmds) bench::time_spawn_wait(c);
  std::vector<std::vector<double>> t(cmds.size());
  std::vector<double> diff_app, diff_true;
  for (int i = 0; i < runs; ++i) {
    double ms[4];
    for (size_t k = 0; k < cmds.size(); ++k) {
      size_t j = (k + static_cast<size_t>(i)) % cmds.size();  // rotate the order every round
      ms[j] = bench::time_spawn_wait(cmds[j]);
    }
    for (size_t k = 0; k < cmds.size(); ++k) t[k].push_back(ms[k]);
    diff_app.push_back(ms[1] - ms[0]);
    diff_true.push_back(ms[3] - ms[2]);
  }
  bench::Stats sa = bench::stats_of(t[0]), sb = bench::stats_of(t[1]);
  print_row("(a) mainapp --version", sa);
  print_row("(b) launcher --version", sb);
  print_row("    paired b - a", bench::stats_of(diff_app));
  print_row("(c) true --version", bench::stats_of(t[2]));
  print_row("(d) launcher -> true", bench::stats_of(t[3]));
  print_row("    paired d - c", bench::stats_of(diff_true));
  double delta = sb.median - sa.median;
  double ratio = sb.median / sa.median;
  std::printf("  overhead (median b - median a): %.3f ms   ratio b/a: %.3f (%+.1f%%)\n", delta, ratio,
              (ratio - 1) * 100);
  const bool delta_met = figures.at_most("overhead, median b - median a (mainapp)", delta, "ms", 1.0, "≤ +1 ms");
  const bool ratio_met = figures.at_most("ratio b/a (launcher / direct mainapp)", ratio, "x", 1.10, "≤ 1.10x (+10 %)");
  std::printf("  target: at most +10%% and +1 ms -> %s\n", delta_met && ratio_met ? "met" : "NOT met");
  std::printf("  load average (1 min) after: %.2f\n", bench::load_average_1min());
  figures.add("launcher -> /bin/true, paired median d - c", bench::stats_of(diff_true).median, "ms");
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return upkeep::bench::main_of("launcher_overhead", run, argc, argv); }

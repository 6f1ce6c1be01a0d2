// fleet_bench: how many installations one repository server carries, what a
// staged-rollout wave costs it, and what an idle app's update service costs
// its machine, side by side in one run (docs/benchmarks.md, "The fleet").
//
// The vendor app is a shell script and --app-mib MiB of incompressible data
// in 8 files, released with the real `upkeep keys init` and `upkeep release`
// into a scratch repository served by nginx (/usr/sbin/nginx, one worker) with
// docs/hosting.md's origin configuration read from the page. One `upkeep
// install` is copied into --installations install roots, each with its own
// state (rollout bucket, TUF metadata cache) and its own UpdateService; a
// check is the library's real background check (UpdateService::check_now:
// TUF refresh, release selection, download and staging when offered).
//   (a) checks, nothing changed: for each --clients C, C threads in this
//       process check their installations in turn for --seconds; nginx's
//       access log gives requests and bytes (headers and bodies), its
//       master's and worker's schedstat its CPU time; beside them the floor,
//       the same two requests by a bare fetcher (no TUF, no state);
//   (b) idle cost: one more installation's service start()ed for
//       --idle-minutes of simulated time (a ScaledClock --time-scale times
//       faster: the thread really sleeps, for shorter) with a check every
//       --idle-interval minutes; its update thread's voluntary context
//       switches (wake-ups), CPU and the process's RSS sampled at each
//       check's start and end; then --repeat more checks for RSS growth;
//   (c) a rollout wave: 2.0.0 (2 of the 8 data files changed) released with
//       --rollout P, then every installation checks once: those in the
//       rollout download (the delta pieces or the package) and stage it.
// (b) runs first, while this process holds little else, then (a), then (c).
// Capacity = checks per nginx CPU-second x 2 cores x 21,600 s (a check every
// 6 hours). Prints the figures with their targets, not pass/fail.
//
// usage: fleet_bench [--clients LIST] [--seconds S] [--installations N] [--rollout P] [--app-mib M]
//                    [--idle-minutes M] [--idle-interval M] [--time-scale X] [--repeat N]
#include <spdlog/spdlog.h>

#include <cinttypes>
#include <cstdio>
#include <functional>
#include <sstream>

#include "bench_util.h"
#include "figures.h"
#include "fleet/fleet.h"
#include "fleet/idle_cost.h"
#include "fleet/nginx_origin.h"
#include "upkeep/platform/fs.h"

namespace {

using namespace upkeep;
using namespace upkeep::bench;

constexpr int kDataFiles = 8;
constexpr double kSixHours = 6 * 3600.0;
constexpr int kServerCores = 2;

// The scratch folder (keys, repo, build folders, installs) and the upkeep program.
struct World {
  stdfs::path s;
  std::string upkeep;
};

// The vendor's build folder of `version`: data file i is seeded by seeds[i].
void release(const World& w, const std::string& version, uint64_t app_mib, const std::vector<uint64_t>& seeds,
             const std::vector<std::string>& extra = {}) {
  const stdfs::path d = w.s / ("app-" + version);
  stdfs::create_directories(d);
  fs::write_file_atomic(d / "app", "#!/bin/sh\necho \"demo $(cat \"$(dirname \"$0\")/VERSION\")\"\n", 0755);
  fs::write_file_atomic(d / "VERSION", version + "\n");
  for (int i = 0; i < kDataFiles; ++i)
    write_random_file(d / "data" / ("part" + std::to_string(i) + ".bin"), (app_mib << 20) / kDataFiles, seeds[i]);
  std::vector<std::string> argv{w.upkeep,
                                "release",
                                d.string(),
                                "--version",
                                version,
                                "--keys",
                                (w.s / "keys").string(),
                                "--repo",
                                (w.s / "repo").string(),
                                "--program",
                                "app"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  time_spawn_wait(argv);
}

std::vector<int> int_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const long v = std::strtol(item.c_str(), nullptr, 10);
    if (v < 1 || v > 1024) fail(ErrorCode::kUsage, "--clients wants numbers 1-1024 separated by commas");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

double kib(uint64_t bytes) { return static_cast<double>(bytes) / 1024.0; }
double mib(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// One row of the checks table: (a).
struct CheckRow {
  int clients = 0;
  bool plain = false;  // the floor: the same requests by a plain fetcher
  SwarmResult swarm;
  Traffic traffic;
  double nginx_cpu = 0;
  double per_core() const { return nginx_cpu > 0 ? static_cast<double>(swarm.checks) / nginx_cpu : 0; }
};

CheckRow measure_checks(NginxOrigin& nginx, int clients, bool plain, const std::function<SwarmResult()>& swarm) {
  CheckRow row;
  row.clients = clients;
  row.plain = plain;
  const double cpu0 = nginx.cpu_seconds();
  row.swarm = swarm();
  row.nginx_cpu = nginx.cpu_seconds() - cpu0;
  row.traffic = nginx.take_traffic();
  return row;
}

void print_checks(const std::vector<CheckRow>& rows, size_t installations) {
  std::printf("\n(a) checks when nothing changed: %zu installations, real UpdateService::check_now(background)\n",
              installations);
  std::printf("  %13s %7s %8s %6s %9s %11s %10s %9s %10s %11s %13s\n", "clients", "checks", "checks/s", "failed",
              "req/check", "B/check in", "B/check out", "body B", "client ms", "nginx us", "checks/s/core");
  for (const auto& r : rows) {
    const double n = static_cast<double>(std::max<uint64_t>(1, r.swarm.checks));
    const std::string who = std::to_string(r.clients) + (r.plain ? " plain GETs" : "");
    std::printf("  %13s %7" PRIu64 " %8.1f %6" PRIu64 " %9.2f %11.0f %10.0f %9.0f %10.2f %11.1f %13.0f\n", who.c_str(),
                r.swarm.checks, static_cast<double>(r.swarm.checks) / r.swarm.seconds, r.swarm.failed,
                static_cast<double>(r.traffic.requests) / n, static_cast<double>(r.traffic.request_bytes) / n,
                static_cast<double>(r.traffic.sent_bytes) / n, static_cast<double>(r.traffic.body_bytes) / n,
                r.swarm.client_cpu_seconds * 1e3 / n, r.nginx_cpu * 1e6 / n, r.per_core());
    if (!r.swarm.first_error.empty()) std::printf("    first error: %s\n", r.swarm.first_error.c_str());
  }
  std::printf(
      "  (B/check in: request lines and headers; out: reply headers and bodies; body B: the bodies alone;\n"
      "   client ms: this process's CPU per check, every thread; nginx us: master + worker CPU per check;\n"
      "   plain GETs: the floor, the same two requests by a bare fetcher, no TUF, no state)\n");
}

void print_idle(const IdleReport& r) {
  std::printf(
      "\n(b) idle cost: an app's UpdateService over %.0f simulated minutes (%gx faster than real), a background"
      " check every %d minute(s), nothing to update\n",
      r.simulated_seconds / 60, r.options.time_scale, r.options.interval_minutes);
  std::vector<double> ms, switches, cpu_ms, gap_s, gap_wakeups;
  for (const auto& c : r.checks) {
    ms.push_back(c.ms);
    switches.push_back(static_cast<double>(c.switches));
    cpu_ms.push_back(static_cast<double>(c.cpu_ns) / 1e6);
  }
  for (const auto& i : r.intervals) {
    gap_s.push_back(i.seconds);
    gap_wakeups.push_back(static_cast<double>(i.wakeups));
  }
  const Stats m = stats_of(ms), w = stats_of(switches), c = stats_of(cpu_ms);
  const auto most = [](const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); };
  std::printf(
      "  %zu checks: median %.1f ms (most %.1f), %.0f wake-ups each (its own network and disk waits), "
      "%.2f ms CPU each (most %.2f)\n",
      r.checks.size(), m.median, most(ms), w.median, c.median, most(cpu_ms));
  const Stats g = stats_of(gap_s), gw = stats_of(gap_wakeups);
  std::printf("  %zu intervals between them: median %.1f simulated s; wake-ups median %.0f, most %.0f\n",
              r.intervals.size(), g.median, gw.median, most(gap_wakeups));
  std::printf("  RSS at the end of check");
  const size_t step = std::max<size_t>(1, r.checks.size() / 10);
  for (size_t i = 0; i < r.checks.size(); i += step)
    std::printf(" %zu: %" PRIu64 " KiB (%" PRIu64 " private),", i + 1, r.checks[i].rss_kib, r.checks[i].anon_kib);
  std::printf(" %zu (the last): %" PRIu64 " KiB (%" PRIu64 " private)\n", r.checks.size(), r.checks.back().rss_kib,
              r.checks.back().anon_kib);
  std::printf("  %d more checks (check_now, same service): %.1f ms each; RSS %" PRIu64 " KiB before, %" PRIu64
              " after %d, %" PRIu64 " after all\n",
              r.options.repeat, r.repeat_ms_per_check, r.rss_before_repeat_kib, r.rss_warm_kib, r.warm_checks,
              r.rss_after_repeat_kib);
}

// (c): 2.0.0 released with --rollout P, every installation checks once.
void measure_wave(const World& w, Fleet& fleet, NginxOrigin& nginx, int clients, int rollout, uint64_t app_mib) {
  std::vector<uint64_t> seeds{1, 2, 3, 4, 5, 6, 7, 8};
  seeds[0] = 101;
  seeds[5] = 106;
  const double t_release = now_ms();
  release(w, "2.0.0", app_mib, seeds, {"--rollout", std::to_string(rollout)});
  std::printf("\n(c) rollout wave: 2.0.0 (2 of %d data files changed) released with --rollout %d in %.1f s;\n",
              kDataFiles, rollout, (now_ms() - t_release) / 1e3);
  const double cpu0 = nginx.cpu_seconds();
  const SwarmResult r = fleet.run_once(clients);
  const double cpu = nginx.cpu_seconds() - cpu0;
  const Traffic t = nginx.take_traffic();
  const uint64_t download = t.sent_bytes - t.metadata_bytes;
  std::printf("  %zu installations checked once, %d at a time, in %.2f s: %" PRIu64 " staged 2.0.0 (%.1f %%), %" PRIu64
              " failed\n",
              fleet.size(), clients, r.seconds, r.staged, 100.0 * static_cast<double>(r.staged) / fleet.size(),
              r.failed);
  if (!r.first_error.empty()) std::printf("    first error: %s\n", r.first_error.c_str());
  std::printf("  served %" PRIu64 " requests (%" PRIu64 " 200, %" PRIu64 " 206, %" PRIu64
              " 404): metadata %.1f KiB (%.0f B per check),"
              " targets %.2f MiB (%.2f MiB per download)\n",
              t.requests, t.ok, t.partial, t.not_found, kib(t.metadata_bytes),
              static_cast<double>(t.metadata_bytes) / std::max<uint64_t>(1, r.checks), mib(download),
              mib(download) / static_cast<double>(std::max<uint64_t>(1, r.staged)));
  std::printf("  nginx CPU %.3f s: %.2f ms per MiB served; client CPU %.2f s\n", cpu,
              cpu * 1e3 / std::max(1e-9, mib(t.sent_bytes)), r.client_cpu_seconds);
}

// The idle service's figures beside their targets: one wake-up per interval
// between checks; CPU over its first simulated hour; no RSS growth after
// that hour (the first checks fill caches and the thread's malloc arena).
void print_idle_summary(const IdleReport& idle, FigureSet& figures) {
  uint64_t wakeups = 0, worst = 0, page_ins = 0, hour_cpu = 0;
  size_t hour_checks = 0;  // checks that ended in the first simulated hour
  for (size_t i = 0; i < idle.checks.size(); ++i) {
    if (idle.checks[i].at_s > 3600) break;
    ++hour_checks;
    hour_cpu += idle.checks[i].cpu_ns + (i > 0 ? idle.intervals[i - 1].cpu_ns : 0);
  }
  for (const auto& i : idle.intervals) {
    wakeups += i.wakeups;
    page_ins += i.major_faults;
    worst = std::max(worst, i.wakeups);
  }
  const size_t gaps = std::max<size_t>(1, idle.intervals.size());
  const bool wakeups_met = figures.at_most("idle wake-ups, most in an interval between checks",
                                           static_cast<double>(worst), "", 1, "1 per check");
  std::printf("  idle update thread over %.0f simulated min (%zu checks every %d min): %" PRIu64
              " wake-ups between checks, %.2f per interval (most %" PRIu64 "; %" PRIu64
              " page-ins); target 1 per check: %s\n",
              idle.simulated_seconds / 60, idle.checks.size(), idle.options.interval_minutes, wakeups,
              static_cast<double>(wakeups) / gaps, worst, page_ins, wakeups_met ? "met" : "not met");
  figures.add("update thread CPU in the first simulated hour (" + std::to_string(hour_checks) + " checks)",
              static_cast<double>(hour_cpu) / 1e6, "ms");
  std::printf("  its CPU in the first simulated hour: %.2f ms (%zu checks and the intervals before them)\n",
              static_cast<double>(hour_cpu) / 1e6, hour_checks);
  // Private memory is what the service holds; RSS also counts the pages of
  // its libraries' code and files it touches for the first time (shared, clean).
  const auto rss = [&](size_t n) { return static_cast<int64_t>(idle.checks[n - 1].rss_kib); };
  const auto anon = [&](size_t n) { return static_cast<int64_t>(idle.checks[n - 1].anon_kib); };
  std::printf("  over the first hour (check 1 to check %zu): private memory %+" PRId64 " KiB, RSS %+" PRId64 " KiB\n",
              hour_checks, anon(hour_checks) - anon(1), rss(hour_checks) - rss(1));
  if (hour_checks < idle.checks.size()) {
    const size_t last = idle.checks.size();
    const int64_t growth = anon(last) - anon(hour_checks);
    const bool met = figures.at_most(
        "private memory growth after the first simulated hour (" + std::to_string(last - hour_checks) + " more checks)",
        static_cast<double>(growth), "KiB", 0, "no growth (0 KiB)");
    figures.add("RSS growth after the first simulated hour", static_cast<double>(rss(last) - rss(hour_checks)), "KiB");
    std::printf("  after it, over %zu more checks: private memory %+" PRId64
                " KiB (target no growth: %s), RSS %+" PRId64 " KiB\n",
                last - hour_checks, growth, met ? "met" : "not met", rss(last) - rss(hour_checks));
  }
  std::vector<double> switches;
  for (const auto& c : idle.checks) switches.push_back(static_cast<double>(c.switches));
  std::printf(
      "  so one hour at the default 6-hour interval (1/6 of a median check and its interval): %.1f wake-ups, "
      "%.2f ms CPU\n",
      (stats_of(switches).median + static_cast<double>(wakeups) / gaps) / 6.0,
      static_cast<double>(hour_cpu) / 1e6 / static_cast<double>(std::max<size_t>(1, hour_checks)) / 6.0);
  const int64_t growth = static_cast<int64_t>(idle.rss_after_repeat_kib) - static_cast<int64_t>(idle.rss_warm_kib);
  const int counted = idle.options.repeat - idle.warm_checks;
  if (counted <= 0) return;
  const bool growth_met = figures.at_most("RSS growth over " + std::to_string(counted) + " checks",
                                          static_cast<double>(growth), "KiB", 0, "no growth (0 KiB)");
  std::printf("  RSS growth over %d checks after %d warm-up checks: %+" PRId64
              " KiB (%.2f KiB per check); target no growth: %s\n",
              counted, idle.warm_checks, growth, static_cast<double>(growth) / std::max(1, counted),
              growth_met ? "met" : "not met");
}

// The figures beside their targets: capacity from the best per-core figure, the idle thread's wake-ups and growth.
void print_summary(const std::vector<CheckRow>& rows, const IdleReport& idle, FigureSet& figures) {
  const CheckRow* best = &rows.front();
  for (const auto& r : rows)
    if (!r.plain && r.per_core() > best->per_core()) best = &r;
  const double capacity = best->per_core() * kServerCores * kSixHours;
  const double n = static_cast<double>(std::max<uint64_t>(1, best->swarm.checks));
  std::printf("\nsummary (load %.2f at the end)\n", load_average_1min());
  std::printf("  checks per second per core (nginx CPU):  %.0f  (at %d clients)\n", best->per_core(), best->clients);
  const double bytes_per_check = static_cast<double>(best->traffic.request_bytes + best->traffic.sent_bytes) / n;
  std::printf("  bytes per check (in + out, headers too):  %.0f  (%.2f requests; body %.0f B)\n", bytes_per_check,
              static_cast<double>(best->traffic.requests) / n, static_cast<double>(best->traffic.body_bytes) / n);
  std::printf(
      "  capacity = checks/s/core x %d cores x 21600 s = %.2e installations per 2-core server at a 6-hour "
      "interval\n",
      kServerCores, capacity);
  std::printf("    (its traffic then: %.0f checks/s, %.1f Mbit/s; issue #20 states no target: reported)\n",
              capacity / kSixHours, capacity / kSixHours * bytes_per_check * 8 / 1e6);
  figures.add("checks per nginx CPU-second", best->per_core(), "checks/s", "issue #20 states no target");
  figures.add("capacity, installations per 2-core server at 6 h", capacity, "");
  print_idle_summary(idle, figures);
}

int run(const std::vector<std::string>& argv) {
  const ParsedArgs args =
      CommandLine("fleet_bench",
                  "What one nginx origin carries (checks, a rollout wave) and what an idle app's update service costs.")
          .option("clients", "LIST", "client threads of each check swarm, comma-separated, default 8,32")
          .option("seconds", "S", "length of each check swarm, default 10")
          .option("installations", "N", "installations the clients check for, default 100")
          .option("rollout", "P", "the wave's --rollout percent, default 10")
          .option("app-mib", "M", "size of the app's data in MiB, default 4")
          .option("idle-minutes", "M", "simulated minutes of the idle app's update service, default 120")
          .option("idle-interval", "M", "minutes between its background checks, default 1")
          .option("time-scale", "X", "simulated seconds per real second, default 120")
          .option("repeat", "N", "more checks of the idle app's service for RSS growth, default 200")
          .flag("json", "print the figures as one JSON object (the text goes to stderr)")
          .parse(argv);
  const std::vector<int> clients = int_list(args.value_or("clients", "8,32"));
  const double seconds = static_cast<double>(args.int_value_or("seconds", 10, 1, 3600));
  const int installations = static_cast<int>(args.int_value_or("installations", 100, 1, 10000));
  const int rollout = static_cast<int>(args.int_value_or("rollout", 10, 0, 100));
  const uint64_t app_mib = static_cast<uint64_t>(args.int_value_or("app-mib", 4, 1, 1024));
  IdleOptions idle_options;
  idle_options.simulated_minutes = static_cast<int>(args.int_value_or("idle-minutes", 120, 1, 7 * 24 * 60));
  idle_options.interval_minutes = static_cast<int>(args.int_value_or("idle-interval", 1, 1, 24 * 60));
  idle_options.time_scale = static_cast<double>(args.int_value_or("time-scale", 120, 1, 3600));
  idle_options.repeat = static_cast<int>(args.int_value_or("repeat", 200, 0, 100000));
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a file
  FigureSet figures("fleet_bench", args.flag("json"));
  figures.param("clients", args.value_or("clients", "8,32"));
  figures.param("seconds", seconds);
  figures.param("installations", installations);
  figures.param("rollout", rollout);
  figures.param("app_mib", app_mib);
  figures.param("idle_minutes", idle_options.simulated_minutes);
  figures.param("idle_interval", idle_options.interval_minutes);
  figures.param("time_scale", idle_options.time_scale);
  figures.param("repeat", idle_options.repeat);
  spdlog::set_level(spdlog::level::warn);  // the library's info lines (one a check) would drown the figures

  ScratchDir scratch(temp_base(), "fleet-bench");
  World w{scratch.path(), (build_dir() / "upkeep").string()};
  std::printf("fleet_bench: scratch %s, %ld cores, load %.2f\n", w.s.c_str(), sysconf(_SC_NPROCESSORS_ONLN),
              load_average_1min());
  time_spawn_wait({w.upkeep, "keys", "init", "--app-id", "demo", "--keys", (w.s / "keys").string(), "--repo",
                   (w.s / "repo").string()});
  release(w, "1.0.0", app_mib, {1, 2, 3, 4, 5, 6, 7, 8});
  NginxOrigin nginx(w.s / "repo", w.s / "nginx", stdfs::path(UPKEEP_SOURCE_DIR) / "docs" / "hosting.md");
  time_spawn_wait({w.upkeep, "install", "--repo", nginx.url(), "--prefix", (w.s / "installed").string(),
                   "--trusted-root", (w.s / "repo" / "metadata" / "1.root.json").string(), "--silent",
                   "--no-shortcut"});
  // The idle app first, while this process holds little else: its RSS is close to an app's.
  copy_install(w.s / "installed", w.s / "idle", "demo");
  const IdleReport idle = measure_idle(w.s / "idle", idle_options);
  nginx.take_traffic();
  Fleet fleet(w.s / "installed", w.s / "fleet", installations, "demo");
  const int most = *std::max_element(clients.begin(), clients.end());
  fleet.run_once(most);  // each installation draws its rollout bucket; the server's files are in the page cache
  nginx.take_traffic();
  std::printf("1.0.0 released (%" PRIu64 " MiB of data), installed, copied to %d installations; nginx at %s\n", app_mib,
              installations, nginx.url().c_str());

  std::vector<CheckRow> rows;
  for (int c : clients) rows.push_back(measure_checks(nginx, c, false, [&] { return fleet.run_for(c, seconds); }));
  // The floor: the two requests of a check when nothing changed (the next root version, timestamp.json).
  const std::vector<std::string> urls{nginx.url() + "metadata/2.root.json", nginx.url() + "metadata/timestamp.json"};
  rows.push_back(measure_checks(nginx, most, true, [&] { return run_plain_gets(urls, most, seconds); }));
  print_checks(rows, fleet.size());
  print_idle(idle);
  measure_wave(w, fleet, nginx, most, rollout, app_mib);
  print_summary(rows, idle, figures);
  figures.print();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return main_of("fleet_bench", run, argc, argv); }

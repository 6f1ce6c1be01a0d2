// Random kills during an update, then a restart and the invariants (issue #4).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>

#include "campaign.h"
#include "error.h"
#include "invariants.h"
#include "state_store.h"

namespace upkeep::torture {

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { kLauncher, kPowerCut, kMainapp, kApplying };
const char* mode_name(Mode m) {
  switch (m) {
    case Mode::kLauncher:
      return "kill -9 launcher";
    case Mode::kPowerCut:
      return "kill -9 process group (power cut)";
    case Mode::kMainapp:
      return "kill -9 mainapp while it stages";
    case Mode::kApplying:
      return "power cut while the launcher applies a staged update";
  }
  return "?";
}

// The download dominates an update's time; a staged update gives apply and trial their share of kills.
TortureWorld::Template template_for(Mode m) {
  return m == Mode::kApplying ? TortureWorld::Template::kV1Staged : TortureWorld::Template::kV1;
}

std::vector<std::string> argv_for(TortureWorld& w, const stdfs::path& root, Mode m) {
  if (m == Mode::kApplying) return {w.launcher(root).string(), "--", "--version"};
  if (m == Mode::kMainapp) return {w.launcher(root).string(), "--headless", "--exit-after-check"};
  return {w.launcher(root).string(), "--check-on-start", "--", "--version"};
}

// What the recovery start must fetch of 2.0.0's package: nothing once it
// was staged or completely downloaded, otherwise only what the .part lacks.
uint64_t bytes_still_missing(const stdfs::path& root, uint64_t length) {
  Layout layout(root);
  {
    StateStore store(layout.state_db(), StateStore::Mode::kReadOnly);
    if (store.get("2.0.0")) return 0;  // staged (or further): recorded, nothing to fetch
  }
  std::error_code ec;
  if (stdfs::file_size(layout.package_download("2.0.0"), ec) == length && !ec) return 0;
  uint64_t part = stdfs::file_size(layout.package_download("2.0.0").string() + ".part", ec);
  return ec ? length : length - std::min(part, length);
}

// One undisturbed run's duration: the calibration of the kill window.
std::chrono::microseconds undisturbed(TortureWorld& w, Mode m) {
  std::vector<std::chrono::microseconds> runs;
  for (int i = 0; i < 3; ++i) {
    stdfs::path root = w.fresh_install(template_for(m));
    auto t0 = Clock::now();
    Exit e;
    {
      Child c(argv_for(w, root, m), {}, root.string() + ".out", root.string() + ".err");
      e = c.wait();
    }
    runs.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0));
    reap_descendants(std::chrono::seconds(120));
    if (e.code != 0)
      fail(ErrorCode::kFailure, std::string("torture: an undisturbed run (") + mode_name(m) + ") exited " +
                                    std::to_string(e.code) + "; see " + root.string() + ".err");
    stdfs::remove_all(root);
  }
  std::sort(runs.begin(), runs.end());
  return runs[1];
}

}  // namespace

Tally kill_campaign(TortureWorld& w, const CampaignOptions& o) {
  Tally t{.name = "random kills"};
  auto started = Clock::now();
  std::mt19937_64 rng(o.seed);
  const Mode modes[] = {Mode::kLauncher, Mode::kPowerCut, Mode::kMainapp, Mode::kApplying};
  std::map<Mode, std::chrono::microseconds> window;
  for (Mode m : modes) window[m] = undisturbed(w, m);
  const auto package = w.package("2.0.0");

  for (int i = 1; i <= o.trials; ++i) {
    Mode mode = modes[(i - 1) % std::size(modes)];
    stdfs::path root = w.fresh_install(template_for(mode));
    stdfs::path trace = root.string() + ".trace";
    std::uniform_int_distribution<int64_t> pick(0, window[mode].count() * 21 / 20);
    std::chrono::microseconds delay(pick(rng));
    std::string kill_point;
    {
      Child c(argv_for(w, root, mode), {{"UPKEEP_TRACE_STEPS", trace.string()}}, root.string() + ".out",
              root.string() + ".err");
      if (c.wait_for(delay)) {
        kill_point = "(ended before the kill)";
      } else {
        c.kill(mode == Mode::kPowerCut || mode == Mode::kApplying);
        auto steps = lines_of(read_file_or_empty(trace));  // read at once: orphans may go on
        kill_point = steps.empty() ? "(before the first step)" : steps.back();
        c.wait();
      }
    }
    ++t.trials;
    ++t.modes[mode_name(mode)];
    ++t.kill_points[kill_point];
    std::vector<std::string> problems;
    if (!reap_descendants(std::chrono::seconds(120)))
      problems.push_back("processes still running 120 s after the kill");

    // Start again: the update completes, 2.0.0 runs, and the invariants hold.
    uint64_t missing = bytes_still_missing(root, package.length);
    w.server().reset_byte_counts();
    Ran again = run_to_end({w.launcher(root).string(), "--check-on-start", "--", "--version"}, {}, root.parent_path());
    if (again.exit.code != 0 || again.out.find("mainapp 2.0.0\n") == std::string::npos)
      problems.push_back("restart exited " + std::to_string(again.exit.code) + ", stdout '" + again.out +
                         "', stderr '" + again.err + "'");
    uint64_t fetched = w.server().body_bytes_sent(package.name);
    if (fetched != missing)
      problems.push_back("the restart fetched " + std::to_string(fetched) + " bytes of the package, expected " +
                         std::to_string(missing) + " (only what was missing)");
    Ran version = run_to_end({w.launcher(root).string(), "--", "--version"}, {}, root.parent_path());
    if (version.exit.code != 0 || version.out != "mainapp 2.0.0\n")
      problems.push_back("a further start exited " + std::to_string(version.exit.code) + " printing '" + version.out +
                         "'");
    for (auto& p : test::check_invariants(root, {{"2.0.0"}, true, true})) problems.push_back(p);

    if (problems.empty()) {
      stdfs::remove_all(root);
    } else {
      report_failure(t, i,
                     std::string(mode_name(mode)) + " after " + std::to_string(delay.count()) + " us, at " +
                         kill_point + " (root kept: " + root.string() + ")",
                     problems);
    }
    std::error_code ec;
    for (const char* ext : {".out", ".err", ".trace"}) stdfs::remove(root.string() + ext, ec);
    show_progress(o, t);
  }
  t.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return t;
}

}  // namespace upkeep::torture

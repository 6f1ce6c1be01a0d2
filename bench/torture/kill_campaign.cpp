// Random kills during an update, then a restart and the invariants (issue #4).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <optional>

#include "campaign.h"
#include "invariants.h"
#include "upkeep/base/error.h"
#include "upkeep/install/state_store.h"

namespace upkeep::torture {

namespace {

using Clock = std::chrono::steady_clock;

// One way of disturbing an update. Every mode ends, after the restart, on
// 2.0.0 good; `update` is the release whose package the restart may fetch.
struct Mode {
  const char* name;
  TortureWorld::Template from;
  const char* channel;  // "" keeps the template's
  enum Run { kCheckOnStart, kMainappHeadless, kPlainStart } run;
  bool power_cut;  // SIGKILL the whole process group, not only the first process
  const char* update;
  const char* ends_bad;  // a broken release that must end up bad, or ""
};

// The download dominates an update's time, so uniform kills seldom land in
// apply or rollback: two modes start later in the update's life to give
// those steps their share.
const Mode kModes[] = {
    {"kill -9 launcher", TortureWorld::Template::kV1, "", Mode::kCheckOnStart, false, "2.0.0", ""},
    {"kill -9 process group (power cut)", TortureWorld::Template::kV1, "", Mode::kCheckOnStart, true, "2.0.0", ""},
    {"kill -9 mainapp while it stages", TortureWorld::Template::kV1, "", Mode::kMainappHeadless, false, "2.0.0", ""},
    {"power cut while the launcher applies a staged update", TortureWorld::Template::kV1Staged, "", Mode::kPlainStart,
     true, "2.0.0", ""},
    {"power cut while a crashing release is tried and rolled back", TortureWorld::Template::kV2, "broken-segfault",
     Mode::kCheckOnStart, true, "3.1.0", "3.1.0"},
};

std::vector<std::string> argv_for(TortureWorld& w, const stdfs::path& root, const Mode& m) {
  switch (m.run) {
    case Mode::kPlainStart:
      return {w.launcher(root).string(), "--version"};
    case Mode::kMainappHeadless:
      return {w.launcher(root).string(), "--headless", "--exit-after-check"};
    case Mode::kCheckOnStart:
      break;
  }
  return {w.launcher(root).string(), "--upkeep-check-now", "--version"};
}

stdfs::path install_for(TortureWorld& w, const Mode& m) {
  stdfs::path root = w.fresh_install(m.from);
  if (*m.channel) TortureWorld::set_channel(root, m.channel);
  return root;
}

// What the restart must fetch of `version`'s package: nothing once it was
// staged (recorded) or completely downloaded, otherwise what the .part lacks.
uint64_t bytes_still_missing(const stdfs::path& root, const std::string& version, uint64_t length) {
  Layout layout(root);
  {
    StateStore store(layout.state_db(), StateStore::Mode::kReadOnly);
    if (store.get(version)) return 0;
  }
  std::error_code ec;
  if (stdfs::file_size(layout.package_download(version), ec) == length && !ec) return 0;
  uint64_t part = stdfs::file_size(layout.package_download(version).string() + ".part", ec);
  return ec ? length : length - std::min(part, length);
}

// An undisturbed run's duration (median of three): the kill window.
std::chrono::microseconds undisturbed(TortureWorld& w, const Mode& m) {
  std::vector<std::chrono::microseconds> runs;
  for (int i = 0; i < 3; ++i) {
    stdfs::path root = install_for(w, m);
    auto t0 = Clock::now();
    Exit e;
    {
      Child c(argv_for(w, root, m), {}, root.string() + ".out", root.string() + ".err");
      e = c.wait();
    }
    runs.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0));
    reap_descendants(std::chrono::seconds(120));
    if (!e.success())
      fail(ErrorCode::kFailure, std::string("torture: an undisturbed run (") + m.name + ") exited " +
                                    std::to_string(e.as_exit_code()) + "; see " + root.string() + ".err");
    stdfs::remove_all(root);
  }
  std::sort(runs.begin(), runs.end());
  return runs[1];
}

// Package bytes of `version` the updater says it received over the network
// in `log_text` ("downloaded V.package.zip: N of L bytes over the network").
// The client's own count: a server-side count could include the tail of a
// request the killed run had sent just before it died.
uint64_t downloaded_bytes(const std::string& log_text, const std::string& version) {
  const std::string key = "downloaded " + version + ".package.zip: ";
  uint64_t total = 0;
  for (size_t at = log_text.find(key); at != std::string::npos; at = log_text.find(key, at + 1))
    total += std::stoull(log_text.substr(at + key.size()));
  return total;
}

// Delta route: bytes of `version`'s blobs and patches already in its work
// folder (complete or .part) whose file is not rebuilt yet: the restart
// must not fetch them again.
uint64_t delta_bytes_held(const stdfs::path& root, const std::string& version) {
  const stdfs::path work = Layout(root).delta_work_dir(version);
  uint64_t held = 0;
  std::error_code ec;
  for (const auto& e : stdfs::directory_iterator(work, ec)) {
    if (!e.is_regular_file(ec)) continue;
    std::string name = e.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".part") == 0) name.resize(name.size() - 5);
    std::string content = name.substr(0, name.find('.'));                                              // <sha>.zst
    if (auto dash = content.find('-'); dash != std::string::npos) content = content.substr(dash + 1);  // <from>-<to>
    if (!stdfs::exists(work / "objects" / content)) held += e.file_size(ec);
  }
  return held;
}

// "rebuilt V from ...: N bytes over the network (M planned, ...": N and M, or nullopt.
std::optional<std::pair<uint64_t, uint64_t>> rebuilt_bytes(const std::string& log_text, const std::string& version) {
  const std::string key = "rebuilt " + version + " from ";
  auto at = log_text.rfind(key);
  if (at == std::string::npos) return std::nullopt;
  auto colon = log_text.find(": ", at);
  auto paren = log_text.find(" (", colon);
  if (colon == std::string::npos || paren == std::string::npos) return std::nullopt;
  return std::pair{std::stoull(log_text.substr(colon + 2)), std::stoull(log_text.substr(paren + 2))};
}

// The checks after the restart; each returned line is one broken invariant.
std::vector<std::string> check_after_restart(TortureWorld& w, const stdfs::path& root, const Mode& m) {
  std::vector<std::string> problems;
  const auto package = w.package(m.update);
  uint64_t missing = bytes_still_missing(root, m.update, package.length);
  const uint64_t delta_held = delta_bytes_held(root, m.update);
  const stdfs::path log = Layout(root).logs_dir() / "updater.log";
  const size_t log_before = read_file_or_empty(log).size();
  Ran again = run_to_end({w.launcher(root).string(), "--upkeep-check-now", "--version"}, {}, root.parent_path());
  if (!again.exit.success() || again.out.find("mainapp 2.0.0\n") == std::string::npos)
    problems.push_back("restart exited " + std::to_string(again.exit.as_exit_code()) + ", stdout '" + again.out +
                       "', stderr '" + again.err + "'");
  const std::string restart_log = read_file_or_empty(log).substr(log_before);
  // With deltas the package is fetched only when it is the cheaper route.
  const bool package_route =
      !w.deltas() || restart_log.find(std::string("downloaded ") + m.update + ".package.zip") != std::string::npos;
  if (uint64_t fetched = downloaded_bytes(restart_log, m.update); package_route && fetched != missing)
    problems.push_back("the restart fetched " + std::to_string(fetched) + " bytes of " + m.update +
                       "'s package, expected " + std::to_string(missing) + " (only what was missing)");
  if (auto r = rebuilt_bytes(restart_log, m.update); r && r->first != r->second - delta_held)
    problems.push_back("the restart fetched " + std::to_string(r->first) + " bytes of " + m.update +
                       "'s delta, expected " + std::to_string(r->second - delta_held) + " (planned " +
                       std::to_string(r->second) + " less " + std::to_string(delta_held) + " already held)");
  Ran version = run_to_end({w.launcher(root).string(), "--version"}, {}, root.parent_path());
  if (!version.exit.success() || version.out != "mainapp 2.0.0\n")
    problems.push_back("a further start exited " + std::to_string(version.exit.as_exit_code()) + " printing '" +
                       version.out + "'");
  if (*m.ends_bad) {
    StateStore store(Layout(root).state_db(), StateStore::Mode::kReadOnly);
    auto r = store.get(m.ends_bad);
    if (!r || r->state != VersionState::kBad)
      problems.push_back(std::string(m.ends_bad) + " is " + (r ? version_state_name(r->state) : "unrecorded") +
                         ", expected bad");
  }
  for (auto& p : test::check_invariants(root, {{"2.0.0"}, true, true})) problems.push_back(p);
  return problems;
}

}  // namespace

Tally kill_campaign(TortureWorld& w, const CampaignOptions& o) {
  Tally t{.name = "random kills"};
  auto started = Clock::now();
  std::mt19937_64 rng(o.seed);
  std::vector<std::chrono::microseconds> window;
  for (const Mode& m : kModes) window.push_back(undisturbed(w, m));

  for (int i = 1; i <= o.trials; ++i) {
    const size_t mi = static_cast<size_t>(i - 1) % std::size(kModes);
    const Mode& mode = kModes[mi];
    stdfs::path root = install_for(w, mode);
    stdfs::path trace = root.string() + ".trace";
    std::uniform_int_distribution<int64_t> pick(0, window[mi].count() * 21 / 20);
    std::chrono::microseconds delay(pick(rng));
    std::string kill_point;
    {
      Child c(argv_for(w, root, mode), {{"UPKEEP_TRACE_STEPS", trace.string()}}, root.string() + ".out",
              root.string() + ".err");
      if (c.wait_for(delay)) {
        kill_point = "(ended before the kill)";
      } else {
        c.kill(mode.power_cut);
        auto steps = lines_of(read_file_or_empty(trace));  // read at once: orphans may go on
        kill_point = steps.empty() ? "(before the first step)" : steps.back();
        c.wait();
      }
    }
    ++t.trials;
    ++t.modes[mode.name];
    ++t.kill_points[kill_point];
    std::vector<std::string> problems;
    if (!reap_descendants(std::chrono::seconds(120)))
      problems.push_back("processes still running 120 s after the kill");
    for (auto& p : check_after_restart(w, root, mode)) problems.push_back(p);

    if (problems.empty()) {
      stdfs::remove_all(root);
    } else {
      report_failure(t, i,
                     std::string(mode.name) + " after " + std::to_string(delay.count()) + " us, at " + kill_point +
                         " (root kept: " + root.string() + ")",
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

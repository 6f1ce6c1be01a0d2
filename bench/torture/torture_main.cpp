// torture: the fault-injection harness of issue #4, runnable by one command.
//
//   torture [--trials N] [--broken N] [--concurrent N] [--seed S] [--deltas] [--json]
//
// Runs the three campaigns of campaign.h against the real launcher, mainapp,
// upkeep-updater and upkeep, and prints trials, failures, the distribution of
// kill points, rollbacks and concurrent rounds. Exit 0 when every trial held
// every invariant, 1 when any failed, 2 for a bad command line.
// Defaults are the figures: 1,000 kills, 100 broken releases, 100
// concurrent rounds (tens of minutes on 2 cores); CTest runs a short version.
#include <unistd.h>

#include <cstdio>
#include <random>

#include "../bench_util.h"
#include "../figures.h"
#include "campaign.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/json.h"
#include "upkeep/platform/fault_injection.h"

namespace upkeep::torture {

void report_failure(Tally& t, int trial, const std::string& what, const std::vector<std::string>& details) {
  ++t.failures;
  std::fprintf(stderr, "\n%s: trial %d FAILED: %s\n", t.name.c_str(), trial, what.c_str());
  for (const auto& d : details) std::fprintf(stderr, "  - %s\n", d.c_str());
}

void show_progress(const CampaignOptions& o, const Tally& t) {
  if (!o.progress) return;
  std::fprintf(stderr, "\r%s: %d/%d, %d failed", t.name.c_str(), t.trials, o.trials, t.failures);
  if (t.trials == o.trials) std::fprintf(stderr, "\n");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    out.push_back(text.substr(at, nl - at));
  return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

namespace {

void print_counts(const char* heading, const std::map<std::string, int>& counts) {
  if (counts.empty()) return;
  std::printf("  %s:\n", heading);
  for (const auto& [k, n] : counts) std::printf("    %6d  %s\n", n, k.c_str());
}

void print_tally(const Tally& t) {
  std::printf("%s: %d trials, %d failures, %.1f s\n", t.name.c_str(), t.trials, t.failures, t.seconds);
  print_counts("disturbed by", t.modes);
  if (!t.kill_points.empty()) {
    int named = 0;
    for (const auto& step : kCrashPoints) named += t.kill_points.count(std::string(step)) ? 1 : 0;
    std::printf("  killed after (the last named step passed); %d of %zu named steps hit:\n", named,
                std::size(kCrashPoints));
    for (const auto& [k, n] : t.kill_points) std::printf("    %6d  %s\n", n, k.c_str());
  }
  if (t.counts_rollbacks) std::printf("  rolled back in the same launch: %d of %d\n", t.rollbacks, t.trials);
  print_counts("launchers started", t.outcomes);
}

Json tally_json(const Tally& t) {
  Json j = Json::object();
  j["trials"] = t.trials;
  j["failures"] = t.failures;
  j["seconds"] = t.seconds;
  j["rollbacks"] = t.rollbacks;
  for (const auto& [key, m] :
       {std::pair{"modes", &t.modes}, std::pair{"kill_points", &t.kill_points}, std::pair{"outcomes", &t.outcomes}}) {
    Json o = Json::object();
    for (const auto& [k, n] : *m) o[k] = n;
    j[key] = o;
  }
  return j;
}

int run(const std::vector<std::string>& args) {
  const ParsedArgs cli = CommandLine("torture", "Random kills, broken releases and concurrent launchers.")
                             .option("trials", "N", "trials")
                             .option("broken", "N", "broken releases")
                             .option("concurrent", "N", "concurrent launchers")
                             .option("seed", "S", "the random seed")
                             .flag("deltas", "publish delta updates")
                             .flag("json", "print the figures as one JSON object (the text goes to stderr)")
                             .parse(args);
  auto number = [&](const char* name, int dflt) {
    auto v = cli.value(name);
    if (!v) return dflt;
    try {
      size_t used = 0;
      int n = std::stoi(*v, &used);
      if (used == v->size() && n >= 0) return n;
    } catch (const std::exception&) {
    }
    fail(ErrorCode::kUsage, std::string("--") + name + " expects a whole number of 0 or more, got '" + *v + "'");
  };
  CampaignOptions base;
  base.seed = cli.value("seed") ? std::stoull(*cli.value("seed")) : std::random_device{}();
  base.progress = !cli.flag("json") && ::isatty(STDERR_FILENO);
  const int kills = number("trials", 1000), broken = number("broken", 100), rounds = number("concurrent", 100);
  bench::FigureSet figures(cli.flag("deltas") ? "torture_deltas" : "torture", cli.flag("json"));
  figures.param("trials", kills);
  figures.param("broken", broken);
  figures.param("concurrent", rounds);
  figures.param("seed", static_cast<int64_t>(base.seed & 0x7fffffffffffffffULL));

  enable_subreaper();
  bench::ScratchDir scratch(bench::temp_base(), "upkeep-torture");
  std::fprintf(stderr, "torture: seed %llu, setting up in %s\n", static_cast<unsigned long long>(base.seed),
               scratch.path().c_str());
  TortureWorld world(scratch.path(), cli.flag("deltas"));

  std::vector<Tally> tallies;
  CampaignOptions o = base;
  o.trials = kills;
  if (kills) tallies.push_back(kill_campaign(world, o));
  o.trials = broken;
  if (broken) tallies.push_back(broken_campaign(world, o));
  o.trials = rounds;
  if (rounds) tallies.push_back(concurrent_campaign(world, o));

  int failures = 0;
  for (const auto& t : tallies) failures += t.failures;
  std::printf("torture (seed %llu)\n", static_cast<unsigned long long>(base.seed));
  for (const auto& t : tallies) print_tally(t);
  std::printf("%s\n", failures ? "torture: FAILED" : "torture: OK");
  // Section 3's targets: no failed trial in any campaign.
  Json detail = Json::object();
  for (const auto& t : tallies) {
    detail[t.name] = tally_json(t);
    figures.at_most(t.name + ": failed trials of " + std::to_string(t.trials), t.failures, "", 0, "0 failed");
  }
  figures.detail(std::move(detail));
  figures.print();
  if (failures) {
    scratch.keep();
    std::fprintf(stderr, "torture: the failed trials' install roots are kept in %s\n", scratch.path().c_str());
  }
  return failures ? 1 : 0;
}

}  // namespace
}  // namespace upkeep::torture

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return upkeep::run_command("torture", args, [&] { return upkeep::torture::run(args); });
}

// Eight launchers at once plus mainapp staging: one applies, the others
// start a complete version or wait their turn; nothing is corrupted (issue #4).
#include <chrono>
#include <memory>

#include "campaign.h"
#include "invariants.h"
#include "upkeep/install/state_store.h"

namespace upkeep::torture {

namespace {
constexpr int kLaunchers = 8;
}

Tally concurrent_campaign(TortureWorld& w, const CampaignOptions& o) {
  Tally t{.name = "concurrent launchers"};
  auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= o.trials; ++i) {
    ++t.trials;
    // 2.0.0 is staged; mainapp 1.0.0 follows channel "next" and stages 3.0.0 meanwhile.
    stdfs::path root = w.fresh_install(TortureWorld::Template::kV1Staged);
    TortureWorld::set_channel(root, "next");
    std::vector<std::string> problems;
    std::vector<std::unique_ptr<Child>> launchers;
    auto out_of = [&](int k) { return root.string() + ".c" + std::to_string(k) + ".out"; };
    auto err_of = [&](int k) { return root.string() + ".c" + std::to_string(k) + ".err"; };
    Env app_env{
        {"UPKEEP_ROOT", root.string()}, {"UPKEEP_VERSION", "1.0.0"}, {"UPKEEP_LAUNCHER", w.launcher(root).string()}};
    Child app({(root / "versions" / "1.0.0" / "mainapp").string(), "--headless", "--exit-after-check"}, app_env,
              out_of(kLaunchers), err_of(kLaunchers));
    for (int k = 0; k < kLaunchers; ++k)
      launchers.push_back(std::make_unique<Child>(std::vector<std::string>{w.launcher(root).string(), "--version"},
                                                  Env{}, out_of(k), err_of(k)));
    for (int k = 0; k < kLaunchers; ++k) {
      Exit e = launchers[static_cast<size_t>(k)]->wait();
      std::string out = read_file_or_empty(out_of(k)), started_version = first_line(out);
      ++t.outcomes[started_version.empty() ? "(nothing)" : started_version];
      if (!e.success() || (started_version != "mainapp 1.0.0" && started_version != "mainapp 2.0.0" &&
                           started_version != "mainapp 3.0.0"))
        problems.push_back("launcher " + std::to_string(k) + " exited " + std::to_string(e.as_exit_code()) +
                           " printing '" + out + "', stderr '" + read_file_or_empty(err_of(k)) + "'");
    }
    if (Exit e = app.wait(); !e.success())
      problems.push_back("mainapp exited " + std::to_string(e.as_exit_code()) + ": " +
                         read_file_or_empty(err_of(kLaunchers)));
    if (!reap_descendants(std::chrono::seconds(120))) problems.push_back("processes still running after 120 s");

    // One more start settles what the round left (mainapp's 3.0.0 is applied by then or now).
    Ran settle = run_to_end({w.launcher(root).string(), "--version"}, {}, root.parent_path());
    if (!settle.exit.success() || settle.out.rfind("mainapp 3.0.0\n", 0) != 0)
      problems.push_back("the settling start exited " + std::to_string(settle.exit.as_exit_code()) + " printing '" +
                         settle.out + "', expected 3.0.0 (staged by mainapp during the round)");
    {
      StateStore store(Layout(root).state_db(), StateStore::Mode::kReadOnly);
      std::map<std::string, int> applied;
      for (const auto& e : store.events(200))
        if (e.kind == "applied") ++applied[e.version];
      for (const auto& [v, n] : applied)
        if (n != 1) problems.push_back(v + " was applied " + std::to_string(n) + " times, expected once");
      if (!applied.count("3.0.0")) problems.push_back("3.0.0 was never applied");
    }
    for (auto& p : test::check_invariants(root, {{"3.0.0"}, true, true})) problems.push_back(p);

    if (problems.empty()) {
      stdfs::remove_all(root);
      std::error_code ec;
      for (int k = 0; k <= kLaunchers; ++k) {
        stdfs::remove(out_of(k), ec);
        stdfs::remove(err_of(k), ec);
      }
    } else {
      report_failure(t, i, "round (root kept: " + root.string() + ")", problems);
    }
    show_progress(o, t);
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return t;
}

}  // namespace upkeep::torture

// Broken releases: each is rolled back in the same launch, marked bad,
// recorded as an event, and never offered (downloaded) again (issue #4).
#include <chrono>

#include "campaign.h"
#include "invariants.h"
#include "upkeep/install/state_store.h"

namespace upkeep::torture {

Tally broken_campaign(TortureWorld& w, const CampaignOptions& o) {
  Tally t{.name = "broken releases", .counts_rollbacks = true};
  auto started = std::chrono::steady_clock::now();
  const auto& kinds = w.broken_kinds();
  for (int i = 1; i <= o.trials; ++i) {
    const BrokenKind& kind = kinds[static_cast<size_t>(i - 1) % kinds.size()];
    ++t.trials;
    ++t.modes[kind.name];
    stdfs::path root = w.fresh_install(TortureWorld::Template::kV2);
    TortureWorld::set_channel(root, kind.channel);
    std::vector<std::string> problems;

    Ran r = run_to_end({w.launcher(root).string(), "--upkeep-check-now", "--version"}, {}, root.parent_path());
    const std::string ran_broken = "mainapp " + kind.version + " " + kind.name + "\n";
    if (r.out.find(ran_broken) == std::string::npos)
      problems.push_back("the broken release did not run: stdout '" + r.out + "'");
    if (!r.exit.success() || r.out.find("mainapp 2.0.0\n") == std::string::npos ||
        r.err.find("going back to 2.0.0") == std::string::npos)
      problems.push_back("not rolled back in the same launch: exit " + std::to_string(r.exit.as_exit_code()) +
                         ", stdout '" + r.out + "', stderr '" + r.err + "'");
    {
      StateStore store(Layout(root).state_db(), StateStore::Mode::kReadOnly);
      auto rec = store.get(kind.version);
      if (!rec || rec->state != VersionState::kBad)
        problems.push_back(kind.version + " is " + (rec ? version_state_name(rec->state) : "unrecorded") +
                           ", expected bad");
      bool event = false;
      for (const auto& e : store.events(50)) event |= e.kind == "rolled_back" && e.version == kind.version;
      if (!event) problems.push_back("no rolled_back event for " + kind.version);
    }
    for (auto& p : test::check_invariants(root, {{"2.0.0"}, true, true})) problems.push_back(p);

    // Never offered again: the next check downloads nothing of it.
    const auto package = w.package(kind.version);
    w.server().reset_byte_counts();
    Ran again = run_to_end({w.launcher(root).string(), "--upkeep-check-now", "--version"}, {}, root.parent_path());
    if (!again.exit.success() || again.out.find("mainapp 2.0.0\n") == std::string::npos ||
        again.out.find("mainapp " + kind.version) != std::string::npos)
      problems.push_back("the next start exited " + std::to_string(again.exit.as_exit_code()) + " printing '" +
                         again.out + "'");
    if (auto n = w.server().body_bytes_sent(package.name); n != 0)
      problems.push_back("the bad release was downloaded again (" + std::to_string(n) + " bytes)");

    if (problems.empty()) {
      ++t.rollbacks;
      stdfs::remove_all(root);
    } else {
      report_failure(t, i, kind.name + " (" + kind.version + ", root kept: " + root.string() + ")", problems);
    }
    show_progress(o, t);
  }
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return t;
}

}  // namespace upkeep::torture

// The torture harness's three campaigns and what each reports.
//
// - kill_campaign: random kills. Each trial copies an install of 1.0.0 with
//   2.0.0 on the server, starts an update, and SIGKILLs at a random moment
//   (uniform over an undisturbed run's duration) either the launcher alone,
//   the launcher's whole process group (a power cut), or mainapp while it
//   downloads and stages; two more start later in an update's life (the
//   download dominates its time, so uniform kills would seldom land in
//   apply or rollback): a power cut while the launcher applies an update
//   already staged, and one while a crashing release is tried and rolled
//   back. Then it starts again and checks the invariants.
// - broken_campaign: broken releases (crash, non-zero exit, abort, no
//   confirmation). Each must be rolled back in the same launch, marked bad,
//   recorded, and never downloaded again.
// - concurrent_campaign: eight launchers at once on a root with 2.0.0
//   staged, plus mainapp staging 3.0.0: exactly one applies each version,
//   every launcher starts a complete version, nothing is corrupted.
//
// One thread. Each returns its tally; problems are also printed as they
// happen (to stderr) with the trial's number, so a failure can be replayed
// with --seed.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "torture_world.h"

namespace upkeep::torture {

struct Tally {
  std::string name;
  int trials = 0;
  int failures = 0;
  bool counts_rollbacks = false;           // the broken-release campaign
  int rollbacks = 0;                       // broken: rolled back in the same launch
  std::map<std::string, int> modes;        // how each trial was disturbed
  std::map<std::string, int> kill_points;  // the last named step passed before the kill
  std::map<std::string, int> outcomes;     // concurrent: which version the launchers started
  double seconds = 0;
};

struct CampaignOptions {
  int trials = 0;
  uint64_t seed = 0;
  bool progress = false;  // a progress line on stderr (a terminal)
};

Tally kill_campaign(TortureWorld& world, const CampaignOptions& options);
Tally broken_campaign(TortureWorld& world, const CampaignOptions& options);
Tally concurrent_campaign(TortureWorld& world, const CampaignOptions& options);

// Shared by the campaigns.
void report_failure(Tally& t, int trial, const std::string& what, const std::vector<std::string>& details);
void show_progress(const CampaignOptions& o, const Tally& t);
std::string first_line(const std::string& text);
std::vector<std::string> lines_of(const std::string& text);

}  // namespace upkeep::torture

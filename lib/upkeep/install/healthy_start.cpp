#include "upkeep/install/healthy_start.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>

#include "upkeep/base/launch_env.h"
#include "upkeep/install/applier.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/platform/fault_injection.h"
#include "upkeep/platform/health_channel.h"

namespace upkeep {

HealthResult confirm_healthy_start() {
  const char* trial = std::getenv(env::kTrial);
  const char* root = std::getenv(env::kRoot);
  const char* version = std::getenv(env::kVersion);
  if (!trial || std::strcmp(trial, "1") != 0 || !root || !version) return HealthResult::kNotOnTrial;
  HealthResult result = HealthResult::kConfirmed;
  try {
    Layout layout(root);
    StateStore store = StateRecovery(layout).open();
    Applier(layout, store, kDefaultMaxUpdateFailures).mark_good(version);  // counts no tries: K is moot
    spdlog::info("version {} confirmed a healthy start", version);
  } catch (const std::exception& e) {
    spdlog::error("could not record a healthy start of {}: {}", version, e.what());
    result = HealthResult::kFailed;
  }
  crash_point("trial.confirmed");
  // The launcher re-reads the state store and records `good` itself if we could not.
  report_healthy_to_launcher();
  return result;
}

}  // namespace upkeep

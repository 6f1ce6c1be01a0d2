// The main program's side of the trial: confirm_healthy_start().
//
// A vendor's application calls it once it is up (window shown, settings
// read, whatever "healthy" means for it). On a trial start it records the
// version as good in the state store, then tells the waiting launcher;
// otherwise it does nothing and costs a few getenv calls. Thread-safe;
// idempotent. Throws nothing: a failure to record is logged and reported
// through the return value (the launcher then decides on its own).
#pragma once

namespace upkeep {

enum class HealthResult { kNotOnTrial, kConfirmed, kFailed };
HealthResult confirm_healthy_start();

}  // namespace upkeep

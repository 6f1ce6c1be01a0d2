// DoctorReport: what `upkeep doctor` found about a hosted repository, one
// finding per check, each failure or warning with what to fix.
//
// A finding is a pass, a warning (works, but could be better: a versioned
// file cached too briefly) or a failure (clients fail or see a stale release
// now, or will soon: metadata expiring within its window, timestamp.json
// cacheable for long, a target that is missing or differs from its signed
// length and hashes). passed() is true when nothing failed. Plain value:
// any thread.
#pragma once

#include <string>
#include <vector>

#include "upkeep/base/json.h"

namespace upkeep {

struct DoctorFinding {
  enum class Level { kPass, kWarning, kFailure };
  std::string check;    // "metadata", "expiry", "cache", "target"
  std::string subject;  // a role or a file, relative to the repository ("metadata/timestamp.json")
  Level level = Level::kPass;
  std::string message;  // what was found
  std::string fix;      // what to do about it ("" for a pass)
};

struct DoctorReport {
  std::string url;         // the repository checked ('/'-terminated)
  std::string checked_at;  // this machine's clock, RFC 3339 UTC
  std::vector<DoctorFinding> findings;

  void pass(std::string check, std::string subject, std::string message);
  void warn(std::string check, std::string subject, std::string message, std::string fix);
  void failure(std::string check, std::string subject, std::string message, std::string fix);

  bool passed() const;
  size_t count(DoctorFinding::Level level) const;
  static const char* level_name(DoctorFinding::Level level);  // "pass", "warning", "failure"
  // {"url", "checked_at", "passed", "failures", "warnings", "findings": [{check, subject, level, message, fix}]}
  Json to_json() const;
};

}  // namespace upkeep

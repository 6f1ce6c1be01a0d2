#include "upkeep/install/quarantine.h"

#include <spdlog/spdlog.h>

namespace upkeep {

bool counts_as_failed_try(const Error& error) {
  // Bad luck, not evidence: wrong bytes from the network, a refusal of this machine's file system.
  if (error.fault() == Fault::kDelivery || error.fault() == Fault::kLocal) return false;
  if (error.fault() == Fault::kRelease) return true;
  switch (error.code()) {
    // The update itself: its signed, verified content does not verify
    // against its own manifest, is malformed, or cannot be put in place.
    case ErrorCode::kFailure:
    case ErrorCode::kVerification:
    case ErrorCode::kNotFound:
    case ErrorCode::kBadInput:
    case ErrorCode::kExists:
    case ErrorCode::kBadBundle:  // (only installs read bundles)
      return true;
    // The surroundings: retried at the next check or start (downloads resume).
    case ErrorCode::kNetwork:
    case ErrorCode::kCredentials:  // this machine's credentials for the repository
    case ErrorCode::kNoSpace:
    case ErrorCode::kLockTimeout:
    case ErrorCode::kUsage:       // this machine's proxy or repository URL
    case ErrorCode::kNeedsRoot:   // this machine's rights
    case ErrorCode::kPermission:  // this machine's file modes and owners
    // Not a try: a staged version the installed one has already passed (never offered again anyway).
    case ErrorCode::kDowngrade:
    case ErrorCode::kNoRunnableVersion:
    case ErrorCode::kCheckFailed:  // `upkeep doctor`'s findings: never an update's
    case ErrorCode::kOk:
      return false;
  }
  return true;  // a code from a newer build: the update's, so that no loop is endless
}

std::string Quarantine::Verdict::describe(const std::string& version) const {
  if (!counted) return "";
  std::string s = "failed try " + std::to_string(failures) + " of " + std::to_string(max_failures);
  if (quarantined) s += ": " + version + " is quarantined and will not be tried again";
  return s;
}

std::string Quarantine::Verdict::annotate(const std::string& message, const std::string& version) const {
  return counted ? message + " (" + describe(version) + ")" : message;
}

Quarantine::Verdict Quarantine::count_failed_try(const std::string& version, const Error& error) {
  Verdict v;
  v.max_failures = max_failures_;
  if (!counts_as_failed_try(error) || is_quarantined(version)) return v;
  store_.transaction([&] {
    v.counted = true;
    v.failures = store_.record_failure(version, error.what());
    v.quarantined = v.failures >= max_failures_;
    if (!v.quarantined) return;
    store_.record_quarantined(version, std::to_string(v.failures) + " failed tries; last error: " + error.what());
    // Never applied now: an apply of it the next start would finish is abandoned.
    if (auto j = store_.journal(); j && j->op == JournalOp::kApply && j->version == version)
      store_.journal_finish([] {});
  });
  // The caller reports the error with describe(); the log keeps the count.
  if (v.quarantined)
    spdlog::warn("version {} quarantined after {} failed tries: {}", version, v.failures, error.what());
  else
    spdlog::info("version {}: {}: {}", version, v.describe(version), error.what());
  return v;
}

void Quarantine::clear(const std::string& version, const std::string& who) {
  store_.transaction([&] {
    if (!is_quarantined(version)) fail(ErrorCode::kNotFound, "version " + version + " is not quarantined");
    store_.set_state(version, VersionState::kRemoved, "quarantine cleared by " + who);
    store_.clear_failures(version);
    store_.add_event("quarantine_cleared", version, "by " + who);
  });
  spdlog::info("version {}: quarantine cleared by {}", version, who);
}

bool Quarantine::is_quarantined(const std::string& version) const {
  auto r = store_.get(version);
  return r && r->state == VersionState::kQuarantined;
}

}  // namespace upkeep

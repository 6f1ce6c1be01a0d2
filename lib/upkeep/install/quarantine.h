// Quarantine: counts failed tries of an update version and takes the version
// out of circulation after Config::max_update_failures of them, so that a
// broken release ends in one clear record instead of an endless
// download-fail-download loop.
//
// A try fails when staging (manifest, download verification, extraction) or
// applying (the check of the staged folder, the move into versions/, the
// switch of `current`, their recovery) fails because of the update itself.
// counts_as_failed_try() decides by ErrorCode alone; failures of the
// surroundings (network, disk space, lock timeouts, this machine's
// configuration) are retried at the next check or start and never counted,
// so a flaky network cannot quarantine a good release. The K-th counted
// failure records the version as kQuarantined with an event "quarantined"
// naming the last error: it is never selected, staged or applied again, while
// a newer release still is. A successful apply clears the count.
// count_failed_try() is the one place this rule is applied: the update
// service (staging) and the applier (apply, recovery) both call it.
//
// Uses the caller's StateStore, on the caller's thread. count_failed_try()
// is one transaction (or part of the caller's): after it returns the count
// and any quarantine are durable; after it throws nothing changed.
#pragma once

#include <cstdint>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

// K when config.json and policy say nothing (Config::max_update_failures).
inline constexpr int64_t kDefaultMaxUpdateFailures = 3;

// True when an error of this code, raised while staging or applying a
// version, is a failed try of that version (see the table in docs/decisions.md).
bool counts_as_failed_try(ErrorCode code);

class Quarantine {
 public:
  Quarantine(StateStore& store, int64_t max_failures) : store_(store), max_failures_(max_failures) {}

  struct Verdict {
    bool counted = false;      // the error was the update's, not the surroundings'
    int failures = 0;          // failed tries so far
    int64_t max_failures = 0;  // K
    bool quarantined = false;  // this failure was the K-th
    // For messages: "" when not counted, else "failed try 2 of 3" or
    // "failed try 3 of 3: 2.0.0 is quarantined and will not be tried again".
    std::string describe(const std::string& version) const;
    // `message` with " (" + describe() + ")" appended when counted.
    std::string annotate(const std::string& message, const std::string& version) const;
  };

  // Counts `error` as a failed try of `version` when its code says so
  // (counts_as_failed_try). The K-th records the version kQuarantined with
  // an event "quarantined" and, in the same transaction, abandons an apply
  // of it still in the journal. A version already quarantined is not
  // counted again. The caller reports its error with Verdict::annotate().
  Verdict count_failed_try(const std::string& version, const Error& error);

  bool is_quarantined(const std::string& version) const;

 private:
  StateStore& store_;
  int64_t max_failures_;
};

}  // namespace upkeep

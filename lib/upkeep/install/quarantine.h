// Quarantine: counts failed tries of an update version and takes the version
// out of circulation after Config::max_update_failures of them, so that a
// broken release ends in one clear record instead of an endless
// download-fail-download loop.
//
// A try fails only on evidence against the release itself: its signed,
// verified content does not match its own manifest or is malformed (a
// package whose hash matched the signed hash but does not extract), or the
// staged version cannot be put in place for a reason of its own. The trial
// (trial_verdict.h) and release hooks judge a start; they mark a version bad,
// not here. counts_as_failed_try() is the one rule (the table in
// docs/decisions.md): an Error whose Fault says it came from the delivery
// (bytes that did not match their signed length or hash: a mirror, proxy or
// man in the middle) or from this machine (an errno of the file system:
// EXDEV, EIO, EPERM...) is bad luck and never counted, and so are the codes
// of the surroundings (network, disk space, lock timeouts, this machine's
// configuration): those are retried at the next check or start, so neither a
// flaky network nor an attacker can quarantine a good release. The K-th
// counted failure records the version as kQuarantined with an event
// "quarantined" naming the last error: it is never selected, staged or
// applied again, while a newer release still is. A successful apply clears
// the count; so does clear() (`upkeep quarantine clear`, an administrator's
// decision), which offers the version again.
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

// True when this error, raised while staging or applying a version, is a
// failed try of that version (see the table in docs/decisions.md).
bool counts_as_failed_try(const Error& error);

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

  // An administrator's "try it again": a quarantined `version` becomes
  // kRemoved (offered, staged and applied again like any release), its
  // failure count 0, with an event "quarantine_cleared" naming `who`; one
  // transaction. Error(kNotFound) when it is not quarantined.
  void clear(const std::string& version, const std::string& who);

 private:
  StateStore& store_;
  int64_t max_failures_;
};

}  // namespace upkeep

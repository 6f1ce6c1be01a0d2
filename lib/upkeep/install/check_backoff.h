// CheckBackoff: after a failed update check the next automatic one waits
// longer, so that a dead, slow or hostile network costs a few requests a
// day instead of one per start or interval, and restarts do not defeat it.
//
// The n-th failure in a row holds automatic checks back for a random time
// between half and all of min(kBaseSeconds * 2^(n-1), kCapSeconds): 5, 10,
// 20 ... minutes up to a day. A successful check resets it. Recorded in the
// state store's meta table (check_failures, check_not_before), durable
// before failed() returns. Automatic checks honour it (the service's own
// thread after its first check of a start, the update timer's --scheduled
// run, the launcher's check_on_start);
// a person's check never does (mainapp/upkeep-updater --check-now, the
// launcher's --upkeep-check-now), though its outcome is recorded too.
//
// Uses the caller's StateStore on the caller's thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "upkeep/install/state_store.h"
#include "upkeep/platform/clock.h"

namespace upkeep {

class CheckBackoff {
 public:
  static constexpr int64_t kBaseSeconds = 300;
  static constexpr int64_t kCapSeconds = 86400;

  explicit CheckBackoff(StateStore& store, const Clock& clock = *SystemClock::instance())
      : store_(store), clock_(clock) {}

  // Seconds until an automatic check may run; 0: now.
  int64_t remaining_seconds() const;
  // Failed checks in a row.
  int64_t failures() const;
  // One more failed check; `jitter` in [0, 1] picks the hold between half
  // and all of the step. Returns the seconds automatic checks now wait.
  int64_t failed(double jitter);
  void succeeded();
  // "the last 3 update check(s) failed; the next automatic check waits 12 min", "" when none holds.
  std::string describe() const;
  // remaining_seconds() and describe() of the install whose state database
  // is `state_db`, opened read-only; {0, ""} when nothing holds or the
  // database cannot be read (a check then runs).
  struct Hold {
    int64_t seconds = 0;
    std::string description;
  };
  static Hold read(const std::filesystem::path& state_db, const Clock& clock = *SystemClock::instance());

 private:
  int64_t meta_int(const char* key) const;

  StateStore& store_;
  const Clock& clock_;
};

}  // namespace upkeep

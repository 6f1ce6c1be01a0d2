// measure_idle(): what an idle app's update service costs the machine it
// runs on. One installation's UpdateService, as an app embeds it, is
// start()ed with background checks every minute (the shortest interval
// config.json allows; +-10% jitter) against a repository where nothing
// changes. An observer samples the update thread's own counters
// (/proc/thread-self: CPU time, voluntary context switches) and the
// process's RSS when each check starts and ends, on that thread, so the
// time between two checks (the thread asleep on its condition variable) and
// the checks themselves are told apart. In real time: no clock is
// simulated. Then, for growth, `repeat` more checks of the same service
// (check_now, on the calling thread) and the RSS before, after the first
// tenth of them, and after all.
//
// Called from one thread (main); it starts and stops the service itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace upkeep::bench {

// What measure_idle() saw: each check and each interval between two, then the repeated checks' RSS.
struct IdleReport {
  struct Interval {  // between the end of one check and the start of the next
    double seconds = 0;
    uint64_t wakeups = 0;       // voluntary context switches of the update thread
    uint64_t major_faults = 0;  // of them: pages read back from disk (a sleep each)
    uint64_t cpu_ns = 0;
  };
  struct Check {
    double ms = 0;
    uint64_t switches = 0;  // voluntary: the check's own waits on the network and the disk
    uint64_t major_faults = 0;
    uint64_t cpu_ns = 0;
    uint64_t rss_kib = 0;  // at its end
  };
  std::vector<Interval> intervals;
  std::vector<Check> checks;
  // RSS before the repeated checks, after the first tenth of them (warm: caches filled) and after all.
  uint64_t rss_before_repeat_kib = 0, rss_warm_kib = 0, rss_after_repeat_kib = 0;
  int repeat = 0, warm_checks = 0;
  double repeat_ms_per_check = 0;
};

// `checks` background checks (so checks - 1 idle intervals of about a minute), then `repeat` more.
IdleReport measure_idle(const std::filesystem::path& root, int checks, int repeat);

}  // namespace upkeep::bench

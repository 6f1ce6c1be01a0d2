// measure_idle(): what an idle app's update service costs the machine it
// runs on, over a stretch of simulated time (two hours by default: the
// first, and the second to tell a start-up rise from growth). One
// installation's UpdateService, as an app embeds it, is start()ed with
// background checks every `interval_minutes` (+-10% jitter) against a
// repository where nothing changes, on a ScaledClock (scaled_clock.h): the
// thread really sleeps between checks, `time_scale` times shorter. An
// observer samples the update thread's own counters (/proc/thread-self: CPU
// time, voluntary context switches) and the process's RSS when each check
// starts and ends, on that thread, so the time between two checks (the
// thread asleep on its condition variable) and the checks themselves are
// told apart. Then, for growth, `repeat` more checks of the same service
// (check_now, on the calling thread) and the RSS before, after the first
// tenth of them, and after all.
//
// Called from one thread (main); it starts and stops the service itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace upkeep::bench {

struct IdleOptions {
  int simulated_minutes = 120;  // how long the service runs, in its clock's time
  int interval_minutes = 1;     // between background checks (config.json's shortest)
  double time_scale = 120;      // simulated seconds per real second
  int repeat = 200;             // more checks, for RSS growth
};

// What measure_idle() saw: each check and each interval between two, then the repeated checks' RSS.
struct IdleReport {
  struct Interval {             // between the end of one check and the start of the next
    double seconds = 0;         // simulated
    uint64_t wakeups = 0;       // voluntary context switches of the update thread
    uint64_t major_faults = 0;  // of them: pages read back from disk (a sleep each)
    uint64_t cpu_ns = 0;
  };
  struct Check {
    double ms = 0;          // real
    uint64_t switches = 0;  // voluntary: the check's own waits on the network and the disk
    uint64_t major_faults = 0;
    uint64_t cpu_ns = 0;
    uint64_t rss_kib = 0;   // at its end
    uint64_t anon_kib = 0;  // of it, private (RssAnon): what the process holds, not the files' pages it touched
    double at_s = 0;        // its end, simulated seconds after start()
  };
  IdleOptions options;
  double simulated_seconds = 0;  // from start() to stop(), on the service's clock
  std::vector<Interval> intervals;
  std::vector<Check> checks;
  // RSS before the repeated checks, after the first tenth of them (warm: caches filled) and after all.
  uint64_t rss_before_repeat_kib = 0, rss_warm_kib = 0, rss_after_repeat_kib = 0;
  int warm_checks = 0;
  double repeat_ms_per_check = 0;
};

IdleReport measure_idle(const std::filesystem::path& root, const IdleOptions& options);

}  // namespace upkeep::bench

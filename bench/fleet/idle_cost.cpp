#include "fleet/idle_cost.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "bench_util.h"
#include "fleet/proc_stats.h"
#include "fleet/scaled_clock.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/update_service.h"

namespace upkeep::bench {

namespace {

double seconds_on(const Clock& clock) { return std::chrono::duration<double>(clock.now().time_since_epoch()).count(); }

// Samples the checking thread at the start and end of each check, on that
// thread, with the simulated time between checks. Thread-safe.
class Probe : public UpdateObserver {
 public:
  explicit Probe(const Clock& clock) : clock_(clock), t0_(seconds_on(clock)) {}
  void on_check_started() override {
    std::lock_guard<std::mutex> g(mutex_);
    start_ = sample_this_thread();
    start_ms_ = now_ms();
    const double now = seconds_on(clock_);
    if (!report_.checks.empty())
      report_.intervals.push_back({now - end_s_, start_.voluntary_switches - end_.voluntary_switches,
                                   start_.major_faults - end_.major_faults, start_.cpu_ns - end_.cpu_ns});
  }
  void on_error(const std::string& message) override {
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (error_.empty()) error_ = message;
    }
    changed_.notify_all();
  }
  void on_check_finished() override {
    std::lock_guard<std::mutex> g(mutex_);
    end_ = sample_this_thread();
    end_s_ = seconds_on(clock_);
    report_.checks.push_back({now_ms() - start_ms_, end_.voluntary_switches - start_.voluntary_switches,
                              end_.major_faults - start_.major_faults, end_.cpu_ns - start_.cpu_ns, end_.rss_kib,
                              end_.anon_kib, end_s_ - t0_});
  }
  // Waits `real` seconds of real time, or less when a check fails (an Error then).
  void wait(std::chrono::duration<double> real) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (changed_.wait_for(lock, real, [this] { return !error_.empty(); }))
      fail(ErrorCode::kFailure, "fleet_bench: an idle check failed: " + error_);
  }
  // The report so far; call after the service stopped.
  IdleReport report() {
    std::lock_guard<std::mutex> g(mutex_);
    return report_;
  }

 private:
  const Clock& clock_;
  const double t0_;
  std::mutex mutex_;
  std::condition_variable changed_;
  IdleReport report_;
  ThreadSample start_, end_;
  double start_ms_ = 0, end_s_ = 0;
  std::string error_;
};

}  // namespace

IdleReport measure_idle(const std::filesystem::path& root, const IdleOptions& options) {
  const Layout layout(root);
  const Config config = Config::load(layout.config_file());
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  settings.check_interval_minutes = options.interval_minutes;
  auto clock = std::make_shared<ScaledClock>(options.time_scale);
  const double t0 = seconds_on(*clock);
  Probe probe(*clock);
  UpdateService service(layout, config, settings, net::make_fetcher(fetch_options(layout, config, settings)), probe,
                        clock);
  service.start();
  probe.wait(std::chrono::duration<double>(options.simulated_minutes * 60.0 / options.time_scale));
  service.stop();
  IdleReport report = probe.report();
  report.simulated_seconds = seconds_on(*clock) - t0;
  report.options = options;
  if (report.checks.size() < 2)
    fail(ErrorCode::kFailure, "fleet_bench: the idle service checked " + std::to_string(report.checks.size()) +
                                  " times in " + std::to_string(options.simulated_minutes) +
                                  " simulated minutes; at least 2 are needed (a shorter --idle-interval)");

  report.rss_before_repeat_kib = report.rss_warm_kib = status_value("/proc/self/status", "VmRSS");
  const double r0 = now_ms();
  report.warm_checks = options.repeat / 10;
  for (int i = 0; i < options.repeat; ++i) {
    if (i == report.warm_checks) report.rss_warm_kib = status_value("/proc/self/status", "VmRSS");
    service.check_now(CheckKind::kBackground);
  }
  report.repeat_ms_per_check = options.repeat > 0 ? (now_ms() - r0) / options.repeat : 0;
  report.rss_after_repeat_kib = status_value("/proc/self/status", "VmRSS");
  return report;
}

}  // namespace upkeep::bench

#include "fleet/idle_cost.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "bench_util.h"
#include "fleet/proc_stats.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/update_service.h"

namespace upkeep::bench {

namespace {

// Samples the checking thread at the start and end of each check, on that
// thread; the main thread waits for `wanted` checks. Thread-safe.
class Probe : public UpdateObserver {
 public:
  explicit Probe(size_t wanted) : wanted_(wanted) {}
  void on_check_started() override {
    std::lock_guard<std::mutex> g(mutex_);
    if (done()) return;
    start_ = sample_this_thread();
    start_ms_ = now_ms();
    if (!report_.checks.empty())
      report_.intervals.push_back({(start_ms_ - end_ms_) / 1e3, start_.voluntary_switches - end_.voluntary_switches,
                                   start_.major_faults - end_.major_faults, start_.cpu_ns - end_.cpu_ns});
  }
  void on_error(const std::string& message) override {
    std::lock_guard<std::mutex> g(mutex_);
    if (error_.empty()) error_ = message;
  }
  void on_check_finished() override {
    {
      std::lock_guard<std::mutex> g(mutex_);
      if (done()) return;
      end_ = sample_this_thread();
      end_ms_ = now_ms();
      report_.checks.push_back({end_ms_ - start_ms_, end_.voluntary_switches - start_.voluntary_switches,
                                end_.major_faults - start_.major_faults, end_.cpu_ns - start_.cpu_ns, end_.rss_kib});
    }
    changed_.notify_all();
  }
  // The report once `wanted` checks ended; Error when they take longer than `limit`.
  IdleReport wait(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, limit, [this] { return done(); }))
      fail(ErrorCode::kFailure, "fleet_bench: the update service did not check " + std::to_string(wanted_) +
                                    " times in " + std::to_string(limit.count()) + " s");
    if (!error_.empty()) fail(ErrorCode::kFailure, "fleet_bench: an idle check failed: " + error_);
    return report_;
  }

 private:
  bool done() const { return report_.checks.size() >= wanted_; }
  const size_t wanted_;
  std::mutex mutex_;
  std::condition_variable changed_;
  IdleReport report_;
  ThreadSample start_, end_;
  double start_ms_ = 0, end_ms_ = 0;
  std::string error_;
};

}  // namespace

IdleReport measure_idle(const std::filesystem::path& root, int checks, int repeat) {
  const Layout layout(root);
  const Config config = Config::load(layout.config_file());
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  settings.check_interval_minutes = 1;
  Probe probe(static_cast<size_t>(checks));
  UpdateService service(layout, config, settings, net::make_fetcher(fetch_options(layout, config, settings)), probe);
  service.start();
  IdleReport report = probe.wait(std::chrono::seconds(66 * checks + 60));
  service.stop();
  report.repeat = repeat;
  report.rss_before_repeat_kib = report.rss_warm_kib = status_value("/proc/self/status", "VmRSS");
  const double t0 = now_ms();
  report.warm_checks = repeat / 10;
  for (int i = 0; i < repeat; ++i) {
    if (i == report.warm_checks) report.rss_warm_kib = status_value("/proc/self/status", "VmRSS");
    service.check_now(CheckKind::kBackground);
  }
  report.repeat_ms_per_check = repeat > 0 ? (now_ms() - t0) / repeat : 0;
  report.rss_after_repeat_kib = status_value("/proc/self/status", "VmRSS");
  return report;
}

}  // namespace upkeep::bench

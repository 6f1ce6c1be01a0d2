#include "update/update_service.h"

#include <spdlog/spdlog.h>

#include <random>

#include "error.h"
#include "quarantine.h"
#include "state_store.h"
#include "tuf/tuf_client.h"
#include "update/rollout.h"
#include "update/stager.h"

namespace upkeep {

UpdateService::UpdateService(Layout layout, Config config, std::unique_ptr<Fetcher> fetcher, UpdateObserver& observer)
    : layout_(std::move(layout)), config_(std::move(config)), fetcher_(std::move(fetcher)), observer_(observer) {}

UpdateService::~UpdateService() { stop(); }

std::optional<ReleaseInfo> UpdateService::check_now(CheckKind kind) {
  std::lock_guard<std::mutex> one_at_a_time(check_mutex_);
  observer_.on_check_started();
  try {
    auto r = check_locked(kind);
    observer_.on_check_finished();
    return r;
  } catch (const std::exception& e) {
    observer_.on_error(e.what());
    observer_.on_check_finished();
    throw;
  }
}

std::optional<ReleaseInfo> UpdateService::check_locked(CheckKind kind) {
  tuf::Client client(layout_.trust_dir(), config_.repository_url + "metadata/", config_.repository_url + "targets/",
                     *fetcher_);
  client.refresh();

  SelectionCriteria criteria;
  criteria.app_id = config_.app_id;
  criteria.platform = config_.platform;
  criteria.channel = config_.channel;
  criteria.installed_version = layout_.current_version().value_or("");
  bool still_staged = false;  // what this service staged earlier has not been applied, discarded or quarantined
  {
    StateStore store(layout_.state_db());
    for (const auto& r : store.all())
      if (is_refused(r.state)) criteria.refused_versions.insert(r.version);
    // A rollback the next start finishes: its version is on its way to bad (found by bench/torture).
    if (auto j = store.journal(); j && j->op == JournalOp::kRollback) criteria.refused_versions.insert(j->version);
    if (auto s = staged(); s)
      if (auto r = store.get(s->version)) still_staged = r->state == VersionState::kStaged;
    if (kind == CheckKind::kBackground) criteria.rollout_bucket = Rollout::bucket_of(store);
  }
  auto release = select_release(client.targets(), criteria);
  if (!release) {
    observer_.on_up_to_date(criteria.installed_version);
    if (!still_staged) {
      std::lock_guard<std::mutex> g(mutex_);
      staged_.reset();
    }
    return staged();
  }
  observer_.on_update_found(*release);
  ObserverProgress progress(observer_);
  try {
    Stager(layout_, *fetcher_)
        .stage(*release, ReleaseUrls::of(*release, client, config_.app_id, config_.delta_updates), &progress);
  } catch (const Error& e) {
    // The update's own failure is a failed try; the K-th quarantines it (quarantine.h).
    StateStore store(layout_.state_db());
    auto verdict = Quarantine(store, config_.max_update_failures).record_failed_try(release->version, e);
    if (verdict.quarantined) observer_.on_quarantined(release->version, verdict.failures, e.what());
    fail(e.code(), verdict.annotate(e.what(), release->version));
  }
  {
    std::lock_guard<std::mutex> g(mutex_);
    staged_ = release;
  }
  observer_.on_staged(*release);
  return release;
}

std::optional<ReleaseInfo> UpdateService::staged() const {
  std::lock_guard<std::mutex> g(mutex_);
  return staged_;
}

void UpdateService::start(CheckKind first) {
  std::lock_guard<std::mutex> g(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, first] { run(first); });
}

void UpdateService::stop() {
  {
    std::lock_guard<std::mutex> g(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UpdateService::run(CheckKind first) {
  std::mt19937_64 rng{std::random_device{}()};
  CheckKind kind = first;
  while (true) {
    try {
      check_now(kind);
    } catch (const std::exception& e) {
      // Reported to the observer already; the thread must survive to try again later.
      spdlog::warn("update check failed: {}", e.what());
    }
    std::unique_lock<std::mutex> lock(mutex_);
    kind = CheckKind::kBackground;
    if (stopping_ || config_.check_interval_minutes <= 0) return;
    double minutes = static_cast<double>(config_.check_interval_minutes);
    std::uniform_real_distribution<double> jitter(0.9, 1.1);
    auto wait = std::chrono::duration<double, std::ratio<60>>(minutes * jitter(rng));
    if (wake_.wait_for(lock, wait, [this] { return stopping_; })) return;
  }
}

}  // namespace upkeep

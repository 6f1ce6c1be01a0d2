#include "upkeep/update/update_service.h"

#include <spdlog/spdlog.h>

#include <random>

#include "upkeep/base/error.h"
#include "upkeep/install/check_backoff.h"
#include "upkeep/install/quarantine.h"
#include "upkeep/install/refused_versions.h"
#include "upkeep/install/state_recovery.h"
#include "upkeep/install/state_store.h"
#include "upkeep/net/credential_store.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/repository/repository_layout.h"
#include "upkeep/tuf/tuf_client.h"
#include "upkeep/update/rollout.h"
#include "upkeep/update/stager.h"

namespace upkeep {

net::FetchOptions fetch_options(const Layout& layout, const Config& config, const UpdateSettings& settings) {
  net::FetchOptions o;
  o.proxy = settings.proxy;
  const bool from_policy = !settings.credentials_file.empty();
  o.credentials = net::CredentialStore::open(from_policy ? std::filesystem::path(settings.credentials_file)
                                                         : net::CredentialStore::install_file(layout.root()),
                                             /*required=*/from_policy);
  o.min_rate_bytes_per_second = static_cast<uint64_t>(config.min_transfer_rate);
  o.rate_window = std::chrono::seconds(config.min_transfer_rate_seconds);
  return o;
}

UpdateService::UpdateService(Layout layout, Config config, std::unique_ptr<net::Fetcher> fetcher,
                             UpdateObserver& observer)
    : UpdateService(layout, config, ManagedPolicy::effective_settings(layout, config), std::move(fetcher), observer) {}

UpdateService::UpdateService(Layout layout, Config config, UpdateSettings settings,
                             std::unique_ptr<net::Fetcher> fetcher, UpdateObserver& observer,
                             std::shared_ptr<const Clock> clock)
    : layout_(std::move(layout)),
      config_(std::move(config)),
      settings_(std::move(settings)),
      fetcher_(std::move(fetcher)),
      clock_(std::move(clock)),
      observer_(observer) {}

UpdateService::~UpdateService() { stop(); }

std::optional<std::string> UpdateService::why_off() const {
  if (settings_.mode == UpdateMode::kDisabled)
    return "updates are disabled by managed policy (" + settings_.sources.at("update_mode").describe() + ")";
  if (!layout_.writable_by_this_process())  // another user's per-machine install
    return "this install is updated for every user by the machine's updater (" + layout_.root().string() +
           " is not writable by this user)";
  return std::nullopt;
}

std::optional<ReleaseInfo> UpdateService::check_now(CheckKind kind) {
  std::lock_guard<std::mutex> one_at_a_time(check_mutex_);
  if (auto why = why_off()) {
    spdlog::info("{}", *why);
    observer_.on_updates_off(*why);
    observer_.on_check_finished();
    return std::nullopt;
  }
  observer_.on_check_started();
  try {
    auto r = check_locked(kind);
    record_outcome(true);
    observer_.on_check_finished();
    return r;
  } catch (const std::exception& e) {
    record_outcome(false);
    observer_.on_error(e.what());
    observer_.on_check_finished();
    throw;
  }
}

void UpdateService::record_outcome(bool ok) {
  try {
    StateStore store = StateRecovery(layout_).open();
    CheckBackoff backoff(store, *clock_);
    if (ok) return backoff.succeeded();
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    std::mt19937_64 rng{std::random_device{}()};
    backoff.failed(jitter(rng));
    spdlog::info("{}", backoff.describe());
  } catch (const std::exception& e) {
    spdlog::warn("could not record the update check's outcome: {}", e.what());  // the check's own error matters
  }
}

int64_t UpdateService::backoff_seconds() const { return CheckBackoff::read(layout_.state_db(), *clock_).seconds; }

std::optional<ReleaseInfo> UpdateService::check_locked(CheckKind kind) {
  return settings_.repository_sources().first_success<std::optional<ReleaseInfo>>(
      [&](const std::string& repo) { return check_from(repo, kind); });
}

std::optional<ReleaseInfo> UpdateService::check_from(const std::string& repo, CheckKind kind) {
  tuf::Client client(layout_.trust_dir(), RepositoryLayout::metadata_url(repo), RepositoryLayout::targets_url(repo),
                     *fetcher_);
  client.refresh();

  SelectionCriteria criteria;
  criteria.app_id = config_.app_id;
  criteria.platform = config_.platform;
  criteria.channel = settings_.channel;
  criteria.installed_version = layout_.current_version().value_or("");
  criteria.version_prefix = settings_.target_version_prefix;
  criteria.rollback_to_prefix = settings_.rollback_to_target_version;
  criteria.allow_downgrade = settings_.allow_downgrade;
  bool still_staged = false;  // what this service staged earlier has not been applied, discarded or quarantined
  {
    StateStore store = StateRecovery(layout_).open();
    // This config reached the repository's signed metadata: the copy `upkeep repair` trusts.
    Config::remember(store, config_);
    criteria.refused_versions = RefusedVersions(store).versions();
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
  if (release->downgrade)
    spdlog::info("managed policy allows going back from {} to {}", criteria.installed_version, release->version);
  observer_.on_update_found(*release);
  ObserverProgress progress(observer_, release->version);
  try {
    Stager(layout_, *fetcher_)
        .stage(*release, ReleaseUrls::of(*release, client, config_.app_id, config_.delta_updates), &progress);
  } catch (const Error& e) {
    // The update's own failure is a failed try; the K-th quarantines it (quarantine.h).
    StateStore store = StateRecovery(layout_).open();
    auto verdict = Quarantine(store, config_.max_update_failures).count_failed_try(release->version, e);
    if (verdict.quarantined) observer_.on_quarantined(release->version, verdict.failures, e.what());
    // Counted: every source serves the same verified bytes, so no mirror is tried after it (mirror_list.h).
    throw Error(e.code(), verdict.annotate(e.what(), release->version), verdict.counted ? Fault::kRelease : e.fault());
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

std::optional<std::chrono::minutes> UpdateService::background_delay() const {
  if (!settings_.checks_automatically()) return std::nullopt;
  if (!settings_.quiet_hours) return std::chrono::minutes(0);
  return std::chrono::minutes(settings_.quiet_hours->minutes_until_end(clock_->local_minute_of_day()));
}

namespace {
std::chrono::nanoseconds minutes_ns(double minutes) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double, std::ratio<60>>(minutes));
}
}  // namespace

void UpdateService::run(CheckKind first) {
  std::mt19937_64 rng{std::random_device{}()};
  CheckKind kind = first;
  bool checked = false;  // a check ran in this start
  if (!background_delay()) {
    spdlog::info("no background checks: update_mode {} ({})", update_mode_name(settings_.mode),
                 settings_.sources.at("update_mode").describe());
    return;
  }
  while (true) {
    if (auto delay = background_delay(); delay && delay->count() > 0) {
      // Quiet hours: no background download. Wake at the window's end, spread over up to 10 more minutes.
      spdlog::info("quiet hours {}: next check in {} min", settings_.quiet_hours->to_string(), delay->count());
      std::uniform_real_distribution<double> spread(0.0, 10.0);
      if (sleep_or_stop(minutes_ns(static_cast<double>(delay->count()) + spread(rng)))) return;
      continue;
    }
    // After failed checks (a dead or hostile network): wait, then look again. The first
    // check of a start is not held back (an app's --exit-after-check waits for it).
    if (int64_t hold = kind == CheckKind::kBackground && checked ? backoff_seconds() : 0; hold > 0) {
      spdlog::info("update check held back {} s after failed checks", hold);
      if (sleep_or_stop(std::chrono::seconds(hold))) return;
      continue;
    }
    checked = true;
    try {
      check_now(kind);
    } catch (const std::exception& e) {
      // Reported to the observer already; the thread must survive to try again later.
      spdlog::warn("update check failed: {}", e.what());
    }
    kind = CheckKind::kBackground;
    if (settings_.check_interval_minutes <= 0) return;
    std::uniform_real_distribution<double> jitter(0.9, 1.1);
    if (sleep_or_stop(minutes_ns(static_cast<double>(settings_.check_interval_minutes) * jitter(rng)))) return;
  }
}

bool UpdateService::sleep_or_stop(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lock(mutex_);
  return wake_.wait_for(lock, clock_->real_wait(d), [this] { return stopping_; });
}

}  // namespace upkeep

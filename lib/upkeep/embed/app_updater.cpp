#include "upkeep/embed/app_updater.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "upkeep/base/launch_env.h"
#include "upkeep/embed/update_state_tracker.h"
#include "upkeep/install/version_skip.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/restart_policy.h"
#include "upkeep/update/update_service.h"

namespace upkeep {

using Phase = UpdateState::Phase;

// The threads: UpdateService's background checks; a check thread for
// check_now(); the policy thread, the only one that touches RestartPolicy
// (it runs the commands below and polls at the policy's wake time); and the
// tracker's dispatch thread for the listeners.
struct AppUpdater::Impl {
  static constexpr std::chrono::milliseconds kMaxSleep{1000};
  enum class Command { kStaged, kRestart, kSkip, kStop };
  struct Order {
    Command command;
    std::string version;  // kStaged
  };

  Impl(Setup s, Options o)
      : layout(std::move(s.layout)),
        settings(std::move(s.settings)),
        options(std::move(o)),
        clock(std::move(s.clock)),
        tracker(initial_state(s.running_version), settings.restart_prompt == RestartPrompt::kForced, clock,
                [this](const std::string& v) {
                  post({Command::kStaged, v});
                }),
        service(layout, std::move(s.config), settings, std::move(s.fetcher), tracker, clock) {
    policy_thread = std::thread([this] { run_policy(); });
  }

  static UpdateState initial_state(const std::string& running_version) {
    UpdateState s;
    s.running_version = running_version;
    return s;
  }

  void post(Order order) {
    {
      std::lock_guard<std::mutex> g(mutex);
      if (policy_done) return;
      orders.push_back(std::move(order));
    }
    wake.notify_all();
  }

  void run_policy();
  bool handle(RestartPolicy& policy, const std::optional<Order>& order);
  void restart(RestartPolicy& policy);
  void skip(std::optional<RestartPolicy>& policy);
  std::optional<Order> next_order(const RestartPolicy& policy);
  RestartPolicy make_policy() {
    return RestartPolicy(layout, settings, options.headless, options.save_work, tracker, clock);
  }

  void request_check();
  void run_checks();
  void stop();

  Layout layout;
  UpdateSettings settings;
  Options options;
  std::shared_ptr<const Clock> clock;
  UpdateStateTracker tracker;
  UpdateService service;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Order> orders;
  bool policy_done = false;  // the policy thread has ended: orders are dropped
  bool checks_stopping = false;
  bool check_requested = false;
  bool stopped = false;
  std::atomic<int64_t> launcher_pid{0};  // set by the policy thread's restart
  std::thread policy_thread;
  std::thread check_thread;
};

// Waits for an order or the policy's wake time (nullopt then: poll). The
// policy's times are the Clock's, which may jump (a suspended machine, a
// FixedClock): a wait is at most kMaxSleep, then the Clock is read again.
std::optional<AppUpdater::Impl::Order> AppUpdater::Impl::next_order(const RestartPolicy& policy) {
  std::unique_lock<std::mutex> lock(mutex);
  auto ready = [&] { return !orders.empty(); };
  if (policy.wake()) {
    while (orders.empty()) {
      auto at = policy.wake();
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*at - clock->now());
      if (wait.count() <= 0) return std::nullopt;
      wake.wait_for(lock, std::min<std::chrono::milliseconds>(wait, kMaxSleep), ready);
    }
  } else {
    wake.wait(lock, ready);
  }
  Order o = std::move(orders.front());
  orders.pop_front();
  return o;
}

void AppUpdater::Impl::run_policy() {
  std::optional<RestartPolicy> policy(make_policy());
  while (true) {
    auto order = next_order(*policy);
    try {
      if (order && order->command == Command::kStop) break;
      if (order && order->command == Command::kSkip) {
        skip(policy);
        continue;
      }
      if (handle(*policy, order)) restart(*policy);
    } catch (const std::exception& e) {
      spdlog::error("restart to update: {}", e.what());
      tracker.change([&](UpdateState& s) { s.error = e.what(); });
    }
  }
  // Leaving: the headless rule may restart at exit (RestartPolicy::at_exit).
  try {
    if (tracker.state().phase != Phase::kRestarting && policy->at_exit()) restart(*policy);
  } catch (const std::exception& e) {
    spdlog::error("restart to update at exit: {}", e.what());
  }
  std::lock_guard<std::mutex> g(mutex);
  policy_done = true;
}

// True when the work is saved and the application should restart now.
bool AppUpdater::Impl::handle(RestartPolicy& policy, const std::optional<Order>& order) {
  if (tracker.state().phase == Phase::kRestarting) return false;
  if (order && order->command == Command::kStaged) policy.staged(order->version);
  return policy.poll(order && order->command == Command::kRestart);
}

void AppUpdater::Impl::restart(RestartPolicy& policy) {
  RestartRequest request{.app_args = options.restart_args,
                         .listen_fds = options.listen_fds,
                         .listen_names = options.listen_names,
                         .handover = !options.listen_fds.empty()};
  try {
    const int64_t pid = policy.restart_with(std::move(request));
    launcher_pid = pid;
    spdlog::info("restarting to update {}: the launcher (pid {}) takes over", policy.version().value_or("?"), pid);
  } catch (const std::exception& e) {
    spdlog::error("cannot restart to update: {}", e.what());
    tracker.change([&](UpdateState& s) { s.error = std::string("cannot restart to update: ") + e.what(); });
  }
}

void AppUpdater::Impl::skip(std::optional<RestartPolicy>& policy) {
  UpdateState s = tracker.state();
  std::string refused;
  if (s.phase != Phase::kStaged)
    refused = "no update is staged: there is nothing to skip";
  else if (s.critical)
    refused = "version " + s.version + " is a critical update: it cannot be skipped";
  else if (!s.can_skip)
    refused = "version " + s.version + " cannot be skipped: the restart is required (" +
              settings.sources.at("restart_prompt").describe() + ")";
  if (!refused.empty()) {
    spdlog::warn("skip refused: {}", refused);
    tracker.change([&](UpdateState& st) { st.error = refused; });
    return;
  }
  VersionSkip(layout).skip(s.version);
  policy.emplace(make_policy());  // forgets the skipped version's escalation
  tracker.on_skipped(s.version);
}

void AppUpdater::Impl::request_check() {
  {
    std::lock_guard<std::mutex> g(mutex);
    if (checks_stopping) return;
    check_requested = true;
    if (!check_thread.joinable()) check_thread = std::thread([this] { run_checks(); });
  }
  wake.notify_all();
}

// The check thread: one manual check per request (requests while one runs fold into one).
void AppUpdater::Impl::run_checks() {
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    wake.wait(lock, [&] { return checks_stopping || check_requested; });
    if (checks_stopping) return;
    check_requested = false;
    lock.unlock();
    try {
      service.check_now(CheckKind::kManual);
    } catch (const std::exception& e) {
      spdlog::warn("update check failed: {}", e.what());  // the tracker has it (kFailed)
    }
    lock.lock();
  }
}

void AppUpdater::Impl::stop() {
  {
    std::lock_guard<std::mutex> g(mutex);
    if (stopped) return;
    stopped = checks_stopping = true;
  }
  wake.notify_all();
  service.stop();
  if (check_thread.joinable()) check_thread.join();
  post({Command::kStop, ""});
  if (policy_thread.joinable()) policy_thread.join();
}

// --- AppUpdater ----------------------------------------------------------------

std::unique_ptr<AppUpdater> AppUpdater::from_environment(Options options) {
  const char* root = std::getenv(env::kRoot);
  if (!root || !*root) return nullptr;
  Layout layout(root);
  // A damaged config.json never stops the app: updates are off until `upkeep repair` rewrites it.
  const char* launcher = std::getenv(env::kLauncher);
  Config::Loaded loaded = Config::load_or_salvage(layout.config_file(),
                                                  launcher ? std::filesystem::path(launcher).filename().string() : "");
  Config config = loaded.config;
  UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
  if (loaded.damaged()) {
    const std::string off = "damaged: " + Config::Loaded::updates_off(layout.root());
    spdlog::warn("{}; {}", loaded.damage, off);
    settings.mode = UpdateMode::kDisabled;
    settings.sources["update_mode"] = SettingSource{SettingSource::Kind::kConfig, layout.config_file().string(), off};
  }
  // Rejected policy files: ManagedPolicy logged each one already (once, on the console and in the log).
  auto fetcher = net::make_fetcher(fetch_options(layout, config, settings));
  const char* version = std::getenv(env::kVersion);
  options.headless = options.headless || config.headless;
  std::string running = version ? version : layout.current_version().value_or("");
  return open({.layout = std::move(layout),
               .config = std::move(config),
               .settings = std::move(settings),
               .fetcher = std::move(fetcher),
               .running_version = std::move(running)},
              std::move(options));
}

std::unique_ptr<AppUpdater> AppUpdater::open(Setup setup, Options options) {
  return std::unique_ptr<AppUpdater>(new AppUpdater(std::make_unique<Impl>(std::move(setup), std::move(options))));
}

AppUpdater::AppUpdater(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AppUpdater::~AppUpdater() { stop(); }

HealthResult AppUpdater::confirm_healthy_start() { return upkeep::confirm_healthy_start(); }

void AppUpdater::start(bool check_now) {
  impl_->service.start(check_now ? CheckKind::kManual : CheckKind::kBackground);
  // No background checks (update_mode manual): the person's first check still runs.
  // Updates disabled by policy: that "check" only says so (kUpdatesOff, naming the file).
  const bool disabled = impl_->settings.mode == UpdateMode::kDisabled;
  if ((check_now || disabled) && !impl_->service.background_delay()) impl_->request_check();
}

void AppUpdater::check_now() { impl_->request_check(); }

UpdateState AppUpdater::state() const { return impl_->tracker.state(); }

UpdateState AppUpdater::wait_for_change(uint64_t seen_revision, std::chrono::milliseconds timeout) const {
  return impl_->tracker.wait_for_change(seen_revision, timeout);
}

int AppUpdater::subscribe(Listener listener) { return impl_->tracker.subscribe(std::move(listener)); }

void AppUpdater::unsubscribe(int id) { impl_->tracker.unsubscribe(id); }

void AppUpdater::restart_now() { impl_->post({Impl::Command::kRestart, ""}); }

void AppUpdater::later() {
  impl_->tracker.change([](UpdateState& s) { s.dismissed = s.phase == Phase::kStaged; });
}

void AppUpdater::skip_version() { impl_->post({Impl::Command::kSkip, ""}); }

void AppUpdater::stop() { impl_->stop(); }

int64_t AppUpdater::launcher_pid() const { return impl_->launcher_pid.load(); }

}  // namespace upkeep

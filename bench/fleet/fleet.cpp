#include "fleet/fleet.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "bench_util.h"
#include "fleet/proc_stats.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher_factory.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/update/update_service.h"

namespace upkeep::bench {

namespace stdfs = std::filesystem;

void copy_install(const stdfs::path& from, const stdfs::path& to, const std::string& launcher) {
  stdfs::create_directories(to);
  for (auto it = stdfs::recursive_directory_iterator(from); it != stdfs::recursive_directory_iterator(); ++it) {
    const stdfs::path rel = it->path().lexically_relative(from), dest = to / rel;
    if (it->is_symlink()) {
      stdfs::path target = stdfs::read_symlink(it->path());
      if (target.is_absolute()) target = to / target.lexically_relative(from);
      stdfs::create_symlink(target, dest);
    } else if (it->is_directory()) {
      stdfs::create_directory(dest);
    } else if (*rel.begin() == "versions" || rel == launcher) {
      stdfs::create_hard_link(it->path(), dest);
    } else {
      stdfs::copy_file(it->path(), dest);
    }
  }
}

// One installation and the service its app embeds; counts what its checks staged.
// Used by one client thread at a time.
struct Fleet::Client : UpdateObserver {
  explicit Client(const stdfs::path& root) : layout(root), config(Config::load(layout.config_file())) {
    UpdateSettings settings = ManagedPolicy::effective_settings(layout, config);
    service = std::make_unique<UpdateService>(layout, config, settings,
                                              net::make_fetcher(fetch_options(layout, config, settings)), *this);
  }
  void on_staged(const ReleaseInfo&) override { ++staged; }

  Layout layout;
  Config config;
  std::unique_ptr<UpdateService> service;
  uint64_t staged = 0;
};

Fleet::Fleet(const stdfs::path& installed, const stdfs::path& base, int count, const std::string& launcher) {
  for (int i = 0; i < count; ++i) {
    const stdfs::path root = base / ("c" + std::to_string(i));
    copy_install(installed, root, launcher);
    clients_.push_back(std::make_unique<Client>(root));
  }
}

Fleet::~Fleet() = default;

SwarmResult Fleet::run_for(int threads, double seconds) { return run(threads, seconds, false); }
SwarmResult Fleet::run_once(int threads) { return run(threads, 0, true); }

namespace {

// Runs body(t) for t in [0, threads) on as many threads and joins them; the wall and CPU time go into the result.
SwarmResult timed_pool(int threads, const std::function<void(int)>& body) {
  const double cpu0 = process_cpu_seconds(), t0 = now_ms();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(body, t);
  for (auto& th : pool) th.join();
  SwarmResult r;
  r.seconds = (now_ms() - t0) / 1e3;
  r.client_cpu_seconds = process_cpu_seconds() - cpu0;
  return r;
}

}  // namespace

SwarmResult Fleet::run(int threads, double seconds, bool once) {
  threads = std::max(1, std::min(threads, static_cast<int>(clients_.size())));  // each has an installation
  std::atomic<uint64_t> checks{0}, failed{0};
  std::mutex error_mutex;
  std::string first_error;
  uint64_t staged_before = 0;
  for (const auto& c : clients_) staged_before += c->staged;
  const double deadline = now_ms() + seconds * 1e3;
  SwarmResult r = timed_pool(threads, [&](int t) {
    for (bool more = true; more; more = !once) {
      for (size_t i = static_cast<size_t>(t); i < clients_.size(); i += static_cast<size_t>(threads)) {
        if (!once && now_ms() >= deadline) return;
        try {
          clients_[i]->service->check_now(CheckKind::kBackground);
        } catch (const std::exception& e) {
          ++failed;
          std::lock_guard<std::mutex> g(error_mutex);
          if (first_error.empty()) first_error = e.what();
        }
        ++checks;
      }
    }
  });
  r.checks = checks;
  r.failed = failed;
  r.first_error = first_error;
  for (const auto& c : clients_) r.staged += c->staged;
  r.staged -= staged_before;
  return r;
}

SwarmResult run_plain_gets(const std::vector<std::string>& urls, int threads, double seconds) {
  std::atomic<uint64_t> rounds{0}, failed{0};
  const double deadline = now_ms() + seconds * 1e3;
  SwarmResult r = timed_pool(threads, [&](int) {
    net::HttpFetcher fetcher;
    while (now_ms() < deadline) {
      try {
        for (const auto& url : urls) fetcher.get_if_exists(url, 1 << 20);
      } catch (const std::exception&) {
        ++failed;
      }
      ++rounds;
    }
  });
  r.checks = rounds;
  r.failed = failed;
  return r;
}

}  // namespace upkeep::bench

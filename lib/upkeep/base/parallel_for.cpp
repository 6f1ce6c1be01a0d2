#include "upkeep/base/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace upkeep {

unsigned default_thread_count(unsigned cap) {
  return std::clamp(std::thread::hardware_concurrency(), 1u, std::max(cap, 1u));
}

void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& task) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex first_mutex;
  auto worker = [&] {
    for (size_t i; !failed.load() && (i = next.fetch_add(1)) < n;) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(first_mutex);
        if (!first) first = std::current_exception();
        failed = true;
      }
    }
  };
  const size_t extra = std::min<size_t>(std::max(threads, 1u), n) - (n > 0 ? 1 : 0);
  std::vector<std::thread> pool;
  pool.reserve(extra);
  try {
    for (size_t t = 0; t < extra; ++t) pool.emplace_back(worker);
  } catch (const std::system_error&) {
    // No more threads to be had: those that started, and this one, do the work.
  }
  worker();
  for (std::thread& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace upkeep

#include "upkeep/base/parallel_for.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using upkeep::parallel_for;

TEST_CASE("parallel_for runs every index once, on several threads", "[base]") {
  const size_t n = 200;
  std::vector<std::atomic<int>> runs(n);
  std::mutex lock;
  std::set<std::thread::id> threads;
  std::atomic<int> inside{0}, most{0};
  parallel_for(n, 4, [&](size_t i) {
    const int now = ++inside;
    for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {
    }
    {
      std::lock_guard guard(lock);
      threads.insert(std::this_thread::get_id());
    }
    ++runs[i];
    // Hold the index until another thread has one too (or all are handed out),
    // so the test sees real concurrency without timing.
    while (most.load() < 2 && inside.load() < 2 && i + 4 < n) std::this_thread::yield();
    --inside;
  });
  for (size_t i = 0; i < n; ++i) CHECK(runs[i] == 1);
  CHECK(most.load() >= 2);
  CHECK(threads.size() >= 2);
  CHECK(threads.size() <= 4);
}

TEST_CASE("parallel_for with no work or one thread", "[base]") {
  int calls = 0;
  parallel_for(0, 4, [&](size_t) { ++calls; });
  CHECK(calls == 0);
  std::vector<size_t> order;
  parallel_for(5, 1, [&](size_t i) { order.push_back(i); });  // the caller's thread alone, in order
  CHECK(order == std::vector<size_t>{0, 1, 2, 3, 4});
  CHECK(upkeep::default_thread_count() >= 1);
  CHECK(upkeep::default_thread_count(1) == 1);
}

TEST_CASE("parallel_for rethrows the first failure and hands out no more work", "[base]") {
  std::atomic<size_t> ran{0};
  auto run = [&] {
    parallel_for(10000, 2, [&](size_t i) {
      ++ran;
      if (i == 3) throw std::runtime_error("index 3 failed");
    });
  };
  CHECK_THROWS_WITH(run(), "index 3 failed");
  CHECK(ran.load() < 10000);
}

// parallel_for: runs task(0) .. task(n - 1) on up to `threads` threads (the
// calling thread is one of them), handing out indices in order, so a caller
// that sorts its work largest first gets the shortest tail. Used by the
// publisher, whose work items (compressing one file) are independent.
//
// Thread-safety: `task` runs concurrently with itself and must guard what it
// shares. After success every task has run once. After a failure the first
// exception is rethrown once every running task has returned; indices not
// yet handed out are never run, so a failure stops the work early.
#pragma once

#include <cstddef>
#include <functional>

namespace upkeep {

// The default number of worker threads: the machine's hardware threads,
// at least 1 and at most `cap` (each worker may hold a large encoder).
unsigned default_thread_count(unsigned cap = 8);

void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& task);

}  // namespace upkeep

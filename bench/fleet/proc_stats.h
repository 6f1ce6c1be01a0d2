// What Linux says about a process or a thread, for the fleet benchmark:
// CPU time to the nanosecond from schedstat (user and system together, as
// the scheduler accounts it), voluntary context switches (a thread going to
// sleep: one wake-up each) and resident memory from status, major page
// faults from stat.
//
// Free functions over /proc files, thread-safe; a file that cannot be read
// (a process that ended) reads as 0.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace upkeep::bench {

// The first field of a schedstat file: nanoseconds spent on a CPU.
inline uint64_t schedstat_cpu_ns(const std::string& path) {
  std::ifstream in(path);
  uint64_t ns = 0;
  in >> ns;
  return ns;
}

// A "Name:   value" line of a status file (the value's first number; kB for the Vm* lines).
inline uint64_t status_value(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, name.size() + 1, name + ":") == 0) return std::stoull(line.substr(name.size() + 1));
  return 0;
}

// The calling thread's counters.
struct ThreadSample {
  uint64_t cpu_ns = 0;
  uint64_t voluntary_switches = 0;
  uint64_t involuntary_switches = 0;
  uint64_t major_faults = 0;  // pages read from disk: a sleep each (a voluntary switch)
  uint64_t rss_kib = 0;       // of the whole process: threads share their memory
  uint64_t anon_kib = 0;      // of it, private memory (heap, stacks); the rest is files' pages, shared and clean
};

inline ThreadSample sample_this_thread() {
  ThreadSample s;
  s.cpu_ns = schedstat_cpu_ns("/proc/thread-self/schedstat");
  s.voluntary_switches = status_value("/proc/thread-self/status", "voluntary_ctxt_switches");
  s.involuntary_switches = status_value("/proc/thread-self/status", "nonvoluntary_ctxt_switches");
  s.rss_kib = status_value("/proc/self/status", "VmRSS");
  s.anon_kib = status_value("/proc/self/status", "RssAnon");
  std::ifstream in("/proc/thread-self/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), {});
  const size_t close_paren = stat.rfind(')');
  unsigned long long majflt = 0;  // field 12: after ") state ppid pgrp session tty tpgid flags minflt cminflt"
  if (close_paren != std::string::npos &&
      std::sscanf(stat.c_str() + close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %llu", &majflt) == 1)
    s.major_faults = majflt;
  return s;
}

// This process's CPU seconds so far, every thread (user and system).
inline double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

}  // namespace upkeep::bench

// Fleet: the fleet benchmark's simulated installations and the client
// threads that check on their behalf.
//
// Each installation is a real install root of its own (config.json, state.db
// with its rollout bucket, trust/ with its TUF metadata cache), copied from
// one made by `upkeep install`; versions/ and the launcher, never written in
// place, are hard links. Each has its own UpdateService over its own fetcher
// (net::make_fetcher with the install's fetch_options), as an app embeds it,
// and a check is UpdateService::check_now(CheckKind::kBackground): TUF
// refresh, release selection with the installation's rollout bucket, and,
// when a release is offered, its download and staging.
//
// The Fleet object is used from one thread; its run_*() calls start the
// client threads (thread t checks installations t, t + threads, ...) and
// join them before they return.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace upkeep::bench {

// What a swarm of checks did.
struct SwarmResult {
  uint64_t checks = 0;
  uint64_t failed = 0;  // checks that threw (the first error is kept)
  uint64_t staged = 0;  // checks that staged a new version
  double seconds = 0;
  double client_cpu_seconds = 0;  // this process, every thread
  std::string first_error;
};

// Copies the install root `from` to `to` (see above); `launcher` is the name of its launcher.
void copy_install(const std::filesystem::path& from, const std::filesystem::path& to, const std::string& launcher);

// The floor of a check, side by side with it: `threads` threads, each with a
// plain net::HttpFetcher, GET `urls` in turn for `seconds` (a 404 counts as
// an answer); no TUF, no state. A "check" here is one round of the urls.
SwarmResult run_plain_gets(const std::vector<std::string>& urls, int threads, double seconds);

class Fleet {
 public:
  // `count` copies of the install at `installed`, in `base`/c<i>.
  Fleet(const std::filesystem::path& installed, const std::filesystem::path& base, int count,
        const std::string& launcher);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // `threads` clients check their installations in turn for `seconds`.
  SwarmResult run_for(int threads, double seconds);
  // Every installation checks once, `threads` at a time.
  SwarmResult run_once(int threads);
  size_t size() const { return clients_.size(); }

 private:
  struct Client;
  SwarmResult run(int threads, double seconds, bool once);
  std::vector<std::unique_ptr<Client>> clients_;
};

}  // namespace upkeep::bench

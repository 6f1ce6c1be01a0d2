// NginxOrigin: the repository's origin server as docs/hosting.md documents
// it, for the fleet benchmark. /usr/sbin/nginx in the foreground with
// one worker process, the page's own "nginx-origin" snippet (its
// cache rules, read from the page) in the server block, `sendfile on` as
// Debian's stock nginx.conf has it, and an access log of each reply's status
// and bytes (headers and body; the request's bytes too) that take_traffic()
// sums. It listens on an ephemeral 127.0.0.1 port bound here and handed over
// as NGINX="3;" (nginx's own inheritance), so it is reachable when the
// constructor returns: connections queue until nginx accepts them.
// cpu_seconds() is the CPU time of the master and its workers, from
// /proc/<pid>/schedstat (nanoseconds, user and system).
//
// One worker: take_traffic() counts on one event loop that logs each
// request as it ends, in turn.
// Used from one thread (the benchmark's main thread). Errors throw upkeep::Error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace upkeep::bench {

// What the access log gained over a phase.
struct Traffic {
  uint64_t requests = 0;
  uint64_t sent_bytes = 0;      // headers and bodies of the replies ($bytes_sent)
  uint64_t body_bytes = 0;      // of sent_bytes: the bodies ($body_bytes_sent)
  uint64_t request_bytes = 0;   // request lines and headers ($request_length)
  uint64_t metadata_bytes = 0;  // of sent_bytes: replies under /metadata/ (the rest: targets, packages, pieces)
  uint64_t ok = 0, partial = 0, not_modified = 0, not_found = 0, other = 0;  // 200, 206, 304, 404, the rest
  Traffic& operator+=(const Traffic& t);
};

// The fenced block after "<!-- snippet: NAME -->" in a page, without its fences.
std::string page_snippet(const std::filesystem::path& page, const std::string& name);

class NginxOrigin {
 public:
  // Serves `docroot`; its configuration, pid file and logs go to `dir`.
  NginxOrigin(const std::filesystem::path& docroot, const std::filesystem::path& dir,
              const std::filesystem::path& hosting_page);
  ~NginxOrigin();
  NginxOrigin(const NginxOrigin&) = delete;
  NginxOrigin& operator=(const NginxOrigin&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  // CPU seconds used so far by the master and the workers.
  double cpu_seconds() const;
  // The access log's lines since the last call, summed (the requests answered before this call).
  Traffic take_traffic();

 private:
  std::vector<int64_t> workers() const;

  std::filesystem::path dir_;
  int port_ = 0;
  int64_t pid_ = 0;
  uint64_t log_offset_ = 0;
  int marks_ = 0;
};

}  // namespace upkeep::bench

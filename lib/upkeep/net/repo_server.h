// RepoServer: a small static-file HTTP server for an update repository
// (`upkeep serve`, the demo and the tests). Production repositories can sit
// on any web server or CDN; this one exists so that a vendor can try a
// release locally with the exact caching semantics a CDN should use.
//
// It answers GET and HEAD for regular files below `root` and nothing else:
// paths are percent-decoded strictly and refused when they contain "." or
// ".." segments, backslashes or NUL (400), or when they resolve (through
// symlinks) outside root, to a directory or to nothing (404). Responses carry
// Content-Length, Content-Type, a strong ETag (If-None-Match gives 304),
// Last-Modified, Accept-Ranges and Cache-Control: names that start with a
// version number or a hex hash followed by '.' (consistent-snapshot files)
// are immutable for a year, everything else is "no-cache". One byte range
// ("a-b", "a-", "-n") gives 206, an unsatisfiable one 416; several ranges get
// the whole file. Other methods get 405. Each request is logged at debug.
//
// Thread-safety: construct, start(), stop() and destroy from one owning
// thread; port(), set_drop_after_bytes(), body_bytes_sent() and
// reset_byte_counts() may be called from any thread.
// Requests are served on the server's own thread pool. After start() returns
// the socket is bound and listening; on failure start() throws and nothing is
// listening. After stop() (or destruction) no request handler is running.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace upkeep::net {

class RepoServer {
 public:
  explicit RepoServer(std::filesystem::path root, std::string host = "127.0.0.1", uint16_t port = 0);
  ~RepoServer();
  RepoServer(const RepoServer&) = delete;
  RepoServer& operator=(const RepoServer&) = delete;

  // Binds and starts serving. Error(kNotFound) when root is not a directory,
  // Error(kNetwork) when the address cannot be bound.
  void start();
  // The bound port (the actual one when constructed with port 0); 0 before start().
  uint16_t port() const;
  // Stops accepting, aborts open connections and waits for the handlers. Idempotent.
  void stop();

  // Testing aid (fault injection for resume tests): the next response that
  // has a body sends only the first n body bytes, then closes the connection.
  void set_drop_after_bytes(std::optional<uint64_t> n);

  // Testing and benchmark aid: response body bytes sent since the last
  // reset, summed over request targets that contain `target_contains`
  // ("" = all), to prove what a client did or did not fetch. A response is
  // counted when it ends.
  uint64_t body_bytes_sent(std::string_view target_contains = "") const;
  // Waits until no request is being answered (a response to a client that
  // died ends at its next write), then sets every count to zero.
  void reset_byte_counts();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace upkeep::net

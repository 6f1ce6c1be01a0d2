// WebUiServer: the small local web UI an application serves itself
// (docs/web-ui.md): its name and running version, the update state live
// (server-sent events, no polling), the staged version's release notes
// (MarkdownHtml), and the buttons "Restart to update", "Later", "Skip this
// version" and "Check for updates". It talks to the app only through a
// WebUiModel.
//
// Poco's HTTPServer on 127.0.0.1: a listening socket the app gives (a copy
// is taken, so the app keeps its own to hand over at a restart; it must be
// bound to a loopback address), or a fresh 127.0.0.1:0. Every request is
// checked by RequestGuard (token, Host, Origin); responses carry a strict
// Content-Security-Policy and no-store. Bounded: at most kMaxThreads request
// threads and max_event_streams open event streams (more get 503); a
// stream whose client went away ends within a fraction of a second.
//
// Routes (all GET need ?token=): / (the page), /app.js, /app.css, /icon.svg,
// /events (an `event: state` with the state JSON plus `notes_html` and
// `app_name` at connect and on every change, a keep-alive comment every
// keep_alive), POST /action/{restart,later,skip,check} (X-Upkeep-Token) -> 204.
//
// Thread-safety: construct, start(), stop() and destroy on one thread; the
// getters from any thread after start(). start() throws Error (kNetwork: the
// socket; kBadInput: a bad token or a non-loopback socket) and then nothing
// listens. stop() stops accepting, ends the event streams, lets requests in
// flight finish and joins every thread; idempotent; the destructor calls it.
// The model must outlive the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "upkeep/webui/web_ui_model.h"

namespace upkeep::webui {

class WebUiServer {
 public:
  static constexpr int kMaxThreads = 8;

  struct Options {
    std::string app_name = "Application";
    std::optional<int> listen_fd;  // a listening loopback socket (copied); none: a fresh 127.0.0.1:0
    std::string token;             // "" : a fresh 128-bit one (AccessToken)
    std::chrono::milliseconds keep_alive{15000};
    int max_event_streams = 4;
  };

  WebUiServer(WebUiModel& model, Options options);
  ~WebUiServer();
  WebUiServer(const WebUiServer&) = delete;
  WebUiServer& operator=(const WebUiServer&) = delete;

  void start();
  void stop();

  uint16_t port() const;
  const std::string& token() const;
  // "http://127.0.0.1:<port>/?token=<token>": what the user opens.
  std::string url() const;
  // How many event streams are open now: pages showing the app (0 before start()).
  int open_event_streams() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace upkeep::webui

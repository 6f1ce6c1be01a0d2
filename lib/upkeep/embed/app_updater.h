// AppUpdater: everything an application needs to update itself, behind one
// object (docs/integration.md "Embed the library"). It wraps UpdateService
// (background checks, download, verify, stage) and RestartPolicy (ask,
// notify, remind, forced deadline, save before restart, hand-over to the
// launcher) and runs the policy on a thread of its own, so the
// application's UI only reads UpdateState and calls the user's actions.
//
//   auto updater = AppUpdater::from_environment({.save_work = ...});
//   if (updater) { updater->confirm_healthy_start(); updater->start(); }
//   ... show updater->state(), or subscribe(); on a click: restart_now() ...
//   when state().phase == kRestarting: exit (with a hand-over: on SIGTERM)
//
// Thread-safe: every method may be called from any thread. Listeners are
// called on the updater's own threads, never while a lock is held, and must
// not block. After a failed check the state is kFailed and the running
// version is unaffected; the next check starts afresh. restart_now() does
// nothing when no update is staged (the state says so) and, when the save
// hook fails, nothing restarts (error says why). The destructor stops the
// checks and joins the threads (so never destroy it from a listener).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "upkeep/embed/update_state.h"
#include "upkeep/install/healthy_start.h"
#include "upkeep/install/layout.h"
#include "upkeep/net/fetcher.h"
#include "upkeep/platform/clock.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/update_settings.h"
#include "upkeep/update/restart_escalation.h"

namespace upkeep {

class AppUpdater {
 public:
  struct Options {
    std::vector<std::string> restart_args;  // the arguments the new version gets (default: none)
    SaveWork save_work;                     // runs before every restart; empty: nothing to save
    bool headless = false;                  // nobody answers: restart at exit when staged (headless rule)
    // Sockets to hand over at restart (restart_to_update.h): with them the
    // launcher starts the new version on the same sockets and sends this
    // process SIGTERM once that one is ready (RestartRequest::handover).
    std::vector<int> listen_fds;
    std::vector<std::string> listen_names;
  };

  // Not started by a launcher (no UPKEEP_ROOT): nullptr, the app runs without updates.
  // Throws Error when the install's config.json cannot be read.
  static std::unique_ptr<AppUpdater> from_environment(Options options);
  // What from_environment reads from the environment and the install, given
  // instead: tests (a FixedClock, a file:// repository) and apps that find
  // their install themselves.
  struct Setup {
    Layout layout;
    Config config;
    UpdateSettings settings;  // ManagedPolicy::effective_settings(layout, config)
    std::unique_ptr<net::Fetcher> fetcher;
    std::string running_version;  // UPKEEP_VERSION
    std::shared_ptr<const Clock> clock = SystemClock::instance();
  };
  static std::unique_ptr<AppUpdater> open(Setup setup, Options options);
  ~AppUpdater();
  AppUpdater(const AppUpdater&) = delete;
  AppUpdater& operator=(const AppUpdater&) = delete;

  // Tells the launcher this version started healthily (no-op off trial).
  HealthResult confirm_healthy_start();

  // Background checks (the first one now; manual when `check_now`: a person asked).
  void start(bool check_now = false);
  // One manual check now, on the updater's thread (returns at once).
  void check_now();

  UpdateState state() const;
  // Blocks until state().revision > seen_revision or `timeout` passes; returns the state then.
  UpdateState wait_for_change(uint64_t seen_revision, std::chrono::milliseconds timeout) const;
  using Listener = std::function<void(const UpdateState&)>;
  int subscribe(Listener listener);  // returns an id for unsubscribe
  void unsubscribe(int id);

  // The user's actions:
  void restart_now();   // save the work, then restart into the staged version
  void later();         // dismiss the prompt until the next reminder (a forced deadline holds)
  void skip_version();  // never offer the staged version again (refused when !state().can_skip)

  void stop();  // stops the checks; idempotent

  // The launcher a restart started (phase kRestarting: set before stop()
  // returns), 0 before. An app that handed its sockets over waits for the
  // launcher's SIGTERM, or for this process to end without sending it (its
  // new version never got ready).
  int64_t launcher_pid() const;

 private:
  struct Impl;
  explicit AppUpdater(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace upkeep

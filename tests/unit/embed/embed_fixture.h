// An install root of app "demo" at 1.0.0, a file:// repository with 2.0.0
// published in it, a managed-policy folder the test writes into, and a
// FixedClock at the real time: what the embed tests open an AppUpdater on.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "../policy/policy_fixture.h"
#include "test_support.h"
#include "upkeep/embed/app_updater.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/net/http_fetcher.h"
#include "upkeep/platform/build_platform.h"
#include "upkeep/policy/config.h"
#include "upkeep/policy/managed_policy.h"
#include "upkeep/publish/key_store.h"
#include "upkeep/publish/repository_publisher.h"

namespace upkeep::test {

struct EmbedWorld {
  TempDir dir;
  stdfs::path repo = dir / "repo";
  publish::KeyStore keys = publish::KeyStore::create(dir / "keys", "demo");
  Layout layout{dir / "root"};
  stdfs::path policies = dir / "policies";
  std::shared_ptr<FixedClock> clock = std::make_shared<FixedClock>(std::chrono::system_clock::now());
  std::string repository_url = "file://" + (dir / "repo").string() + "/";

  EmbedWorld() {
    publish::RepositoryPublisher(repo, keys).initialize();
    for (const auto& d : {layout.trust_dir(), layout.staging_dir(), layout.version_dir("1.0.0"), policies / "demo"})
      stdfs::create_directories(d);
    layout.switch_current("1.0.0");
    stdfs::copy_file(repo / "metadata" / "1.root.json", layout.trust_dir() / "root.json");
    StateStore(layout.state_db()).record_installed("1.0.0", "");
  }

  // Publishes a small release of "demo" with `notes`.
  void publish(const std::string& version, const std::string& notes, bool critical = false) {
    stdfs::path build = dir / ("build-" + version);
    write_text(build / "bin" / "app", "app " + version + "\n" + std::string(20000, 'x'));
    publish::ReleaseInfo info;
    info.app_id = "demo";
    info.version = version;
    info.notes = notes;
    info.critical = critical;
    publish::RepositoryPublisher(repo, keys).publish_release(build, info);
  }

  // A managed-policy file for "demo" (docs/admin-guide.md "Managed policy").
  void policy(const std::string& json) { write_text(policies / "demo" / "10-test.json", json); }

  std::unique_ptr<AppUpdater> open(AppUpdater::Options options = {}) {
    Config config;
    config.app_id = "demo";
    config.repository_url = repository_url;
    config.platform = build_platform();
    config.delta_updates = false;
    config.save(layout.config_file());
    UpdateSettings settings =
        ManagedPolicy::effective_settings(layout, config, env_of({{"UPKEEP_POLICY_DIR", policies.string()}}));
    return AppUpdater::open({.layout = layout,
                             .config = config,
                             .settings = settings,
                             .fetcher = std::make_unique<net::HttpFetcher>(),
                             .running_version = "1.0.0",
                             .clock = clock},
                            std::move(options));
  }
};

// Stands in for the launcher: a script that writes the arguments it was
// given into a FIFO, which the test reads with a deadline (the stand-in runs
// detached, so it is not the test's child to wait for).
struct LauncherStandIn {
  stdfs::path script;
  stdfs::path fifo;
  int fd = -1;

  // `line`: what the stand-in echoes (shell words), its arguments by default.
  explicit LauncherStandIn(const stdfs::path& dir, const std::string& line = "\"$*\"")
      : script(dir / "launcher"), fifo(dir / "launcher.fifo") {
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    fd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(fd >= 0);
    write_text(script, "#!/bin/sh\necho " + line + " > " + fifo.string() + "\n");
    stdfs::permissions(script, stdfs::perms::owner_all);
  }
  ~LauncherStandIn() { ::close(fd); }

  // The arguments' line, once the stand-in wrote it ("" when it did not within 10 s).
  std::string arguments() {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[512];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
};

// Waits (up to 30 s) until `done` holds for the updater's state; returns that state.
template <typename Done>
UpdateState wait_until(const AppUpdater& updater, Done done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  UpdateState s = updater.state();
  while (!done(s)) {
    if (std::chrono::steady_clock::now() > deadline) FAIL("timed out in phase " << phase_name(s.phase));
    s = updater.wait_for_change(s.revision, std::chrono::milliseconds(500));
  }
  return s;
}

inline UpdateState wait_for_phase(const AppUpdater& updater, UpdateState::Phase phase) {
  return wait_until(updater, [&](const UpdateState& s) { return s.phase == phase; });
}

}  // namespace upkeep::test

// mainapp's faces (programs/mainapp/ui_face.h) through the real programs:
// the web UI's URL printed, served with its token only, opened with
// xdg-open when started without a terminal, and, on a restart to update,
// its socket and token handed over to the new version (the same URL answers
// 2.0.0).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mainapp_page.h"
#include "upkeep/platform/process.h"
#include "upkeep/policy/config.h"

using namespace upkeep::test;

namespace {

// A fake xdg-open on PATH that writes its argument into a FIFO the test reads with a deadline.
struct FakeXdgOpen {
  FakeXdgOpen() {
    write_text(dir / "bin" / "xdg-open", "#!/bin/sh\nprintf '%s\\n' \"$1\" > " + fifo().string() + "\n");
    chmod((dir / "bin" / "xdg-open").c_str(), 0755);
    REQUIRE(mkfifo(fifo().c_str(), 0600) == 0);
    fd = open(fifo().c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(fd >= 0);
  }
  ~FakeXdgOpen() { close(fd); }
  stdfs::path fifo() const { return dir / "opened"; }
  std::string path() const { return (dir / "bin").string() + ":/usr/bin:/bin"; }
  // The URL it was given, or "" when it was not run within 30 s.
  std::string opened() const {
    std::string got;
    pollfd p{fd, POLLIN, 0};
    while (got.find('\n') == std::string::npos && poll(&p, 1, 30000) > 0) {
      char buf[512];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got.substr(0, got.find('\n'));
  }
  TempDir dir;
  int fd = -1;
};

}  // namespace

TEST_CASE("mainapp's web UI answers its token only, and a restart to update hands its socket and token to 2.0.0",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  w.vendor.release(w.vendor.build_folder("2.0.0"), "2.0.0");
  // headless: at quit, with 2.0.0 staged, it restarts into it; the new one keeps running.
  BackgroundProcess app({w.app.launcher().string(), "--ui", "web", "--no-browser", "--headless"}, mainapp_env(w, data));
  std::string url = read_until(app, "web UI: ");
  int port = port_of(url);
  CHECK(status_of(port, target_of(url)) == 200);
  CHECK(version_shown(url) == "1.0.0");
  CHECK(status_of(port, "/") == 403);
  CHECK(status_of(port, "/?token=" + std::string(32, '0')) == 403);
  read_until(app, "version 2.0.0 downloaded, verified and staged");

  kill(app.pid(), SIGTERM);  // quit: the hand-over starts; 1.0.0 serves until 2.0.0 is ready
  int pid2 = read_running_pid(app, "2.0.0");
  CHECK(read_until(app, "web UI: ") == url);  // the same socket and token
  CHECK(app.stop(0) == 0);                    // 1.0.0 ended (exit 0) once the launcher released it
  CHECK(status_of(port, target_of(url)) == 200);
  CHECK(version_shown(url) == "2.0.0");
  CHECK(w.app.state_of("2.0.0") == "good");
  end_restarted(pid2);
}

TEST_CASE("mainapp started without a terminal opens its web UI with xdg-open, and not with --no-browser or --ui none",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  FakeXdgOpen xdg;
  auto env = mainapp_env(w, data);
  env["DISPLAY"] = ":0";
  env["PATH"] = xdg.path();

  // No --ui: standard input and output are not terminals, so the web face.
  RunResult r = run({w.app.launcher().string(), "--exit-after-check"}, env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  std::string url = url_in(r.out);
  CHECK(contains(url, "/?token="));
  CHECK(xdg.opened() == url);

  RunResult quiet = run({w.app.launcher().string(), "--exit-after-check", "--no-browser"}, env);
  CHECK(contains(quiet.out, "web UI: http://127.0.0.1:"));
  CHECK(url_in(quiet.out) != url);  // a fresh socket and token for each run
  RunResult terminal = run({w.app.launcher().string(), "--exit-after-check", "--ui", "terminal"}, env);
  CHECK(contains(terminal.out, "web UI: http://127.0.0.1:"));
  RunResult none = run({w.app.launcher().string(), "--exit-after-check", "--ui", "none"}, env);
  CHECK_FALSE(contains(none.out, "web UI:"));
  std::string log = read_text(w.app.prefix() / "logs" / "mainapp.log");
  size_t opened = 0;
  for (size_t at = log.find("opened the web UI with xdg-open"); at != std::string::npos;
       at = log.find("opened the web UI with xdg-open", at + 1))
    ++opened;
  CHECK(opened == 1);  // only the first run
  CHECK(run({w.app.launcher().string(), "--ui", "sideways"}, env).exit_code == 2);
}

TEST_CASE("mainapp without a graphical session or without xdg-open says where its web UI is, and runs on",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  auto env = mainapp_env(w, data);
  RunResult r = run({w.app.launcher().string(), "--exit-after-check"}, env);
  CHECK(r.exit_code == 0);
  env["DISPLAY"] = ":0";
  env["PATH"] = data.path().string();  // no xdg-open there
  RunResult missing = run({w.app.launcher().string(), "--exit-after-check"}, env);
  CHECK(missing.exit_code == 0);
  std::string log = read_text(w.app.prefix() / "logs" / "mainapp.log");
  CHECK(contains(
      log, "no graphical session (DISPLAY, WAYLAND_DISPLAY unset): not opening a browser; web UI at " + url_in(r.out)));
  CHECK(contains(log, "xdg-open is not installed (not on PATH): open the web UI yourself at " + url_in(missing.out)));
}

TEST_CASE("mainapp serves on at the same URL when the version it hands over to never gets ready",
          "[mainapp_ui][integration]") {
  InstalledWithPolicy w;
  TempDir data;
  // 2.0.0 never confirms its start: the launcher stops it at handover_ready_timeout_seconds.
  w.vendor.release(w.vendor.script_build_folder("2.0.0", "exec sleep 600\n"), "2.0.0", "", {"--health", "confirm"});
  stdfs::path config_file = w.app.prefix() / "config.json";
  upkeep::Config config = upkeep::Config::load(config_file);
  config.handover_ready_timeout_seconds = 2;
  config.save(config_file);
  BackgroundProcess app({w.app.launcher().string(), "--ui", "web", "--no-browser"}, mainapp_env(w, data));
  std::string url = read_until(app, "web UI: ");
  read_until(app, "version 2.0.0 downloaded, verified and staged");

  CHECK(act(url, "restart") == 204);  // the page's button
  read_until(app, "the update did not start: mainapp 1.0.0 serves on");
  CHECK(status_of(port_of(url), target_of(url)) == 200);  // the same socket and token, still 1.0.0's
  CHECK(version_shown(url) == "1.0.0");
  CHECK(w.app.state_of("2.0.0") == "trial");  // stopped, not proven bad: its start counts (3 fail it)
  kill(app.pid(), SIGTERM);
  CHECK(app.stop(0) == 0);
}

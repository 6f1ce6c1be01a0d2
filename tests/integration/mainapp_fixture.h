// What the tests of mainapp's faces share (mainapp_ui_test.cpp,
// mainapp_notification_test.cpp): its environment, and its lines read as
// they come.
#pragma once

#include <signal.h>

#include "release_fixture.h"
#include "upkeep/platform/process.h"

namespace upkeep::test {

// mainapp's environment: the policy folder, the user's work in `data`, and
// no graphical session (no browser opens) unless the test sets DISPLAY.
inline std::map<std::string, std::string> mainapp_env(const InstalledWithPolicy& w, const TempDir& data) {
  auto env = w.policy.env();
  env["XDG_DATA_HOME"] = data.path().string();
  env["DISPLAY"] = "";
  env["WAYLAND_DISPLAY"] = "";
  return env;
}

// Reads lines until one starts with `prefix`; returns the rest of it (throws when the output ends first).
inline std::string read_until(BackgroundProcess& p, const std::string& prefix) {
  while (true) {
    std::string line = p.read_line();
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
}

// The pid in "mainapp V running (pid N)", read from `p`'s lines.
inline int read_running_pid(BackgroundProcess& p, const std::string& version) {
  return std::stoi(read_until(p, "mainapp " + version + " running (pid "));
}

// Ends a version the launcher started after a restart (not the test's child): SIGTERM, then its end.
inline void end_restarted(int pid) {
  kill(pid, SIGTERM);
  CHECK(process::wait_for_exit(pid, std::chrono::seconds(30)));
}

}  // namespace upkeep::test

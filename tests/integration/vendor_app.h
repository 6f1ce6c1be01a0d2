// A vendor's own application (not mainapp) for the gallery and the examples'
// tests (vendor_gallery_test.cpp, examples_test.cpp): release folders the
// test writes, published with the real `upkeep release` and served by
// `upkeep serve`; an install made by the real `upkeep install --json` and
// started the way a desktop starts it, from the Exec line of the desktop
// entry the installer wrote.
#pragma once

#include <functional>
#include <memory>

#include "release_fixture.h"

namespace upkeep::test {

// The argv a desktop runs for a Desktop Entry's Exec key (specification 1.4,
// "The Exec key"): the string value unescaped, then split into arguments,
// double-quoted ones unescaped, field codes dropped and %% made %.
std::vector<std::string> desktop_exec_argv(const stdfs::path& desktop_file);

// An executable (0755) shell script: "#!/bin/sh\n" + body.
void write_script(const stdfs::path& file, const std::string& body);

// The prefix that runs a command as the unprivileged user nobody (65534), no groups.
std::vector<std::string> as_nobody(std::vector<std::string> argv);

// One application's repository (app id "demo"), served. Each version is a
// folder the test fills (folder(v)), released with options of its own.
struct VendorApp {
  VendorRepo vendor;
  RepoServerProcess server{vendor.repo()};
  stdfs::path folder(const std::string& version) const { return vendor.dir() / ("app-" + version); }
  void release(const std::string& version, const std::vector<std::string>& options) {
    vendor.release(folder(version), version, "", options);
  }
};

// What `upkeep install --json` answered.
struct InstallAnswer {
  stdfs::path root;
  stdfs::path desktop_entry;
  static InstallAnswer run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
};

// `launcher --upkeep-status --upkeep-json`'s state of `version` ("" when not listed).
std::string version_state(const stdfs::path& launcher, const std::string& version,
                          const std::map<std::string, std::string>& env = {});

// A per-user install of `app` into a fresh HOME, started from its desktop
// entry; every command runs in that HOME with `env` added.
class DesktopInstall {
 public:
  explicit DesktopInstall(const VendorApp& app, const std::map<std::string, std::string>& env = {});
  // Installed from `repo_url` instead of app's server, with `install_args` added (e.g. --mirror URL).
  DesktopInstall(const VendorApp& app, const std::string& repo_url, const std::vector<std::string>& install_args);

  // The Exec line's argv plus `args`, in this HOME; stdin closed after `input`.
  RunResult start(const std::vector<std::string>& args = {},
                  const std::optional<std::string>& input = std::nullopt) const;
  // Stages the newest release: <root>/upkeep-updater --root <root>.
  void stage() const;
  std::string state_of(const std::string& version) const { return version_state(answer_.root / "demo", version, env_); }
  const stdfs::path& root() const { return answer_.root; }
  const stdfs::path& desktop_entry() const { return answer_.desktop_entry; }
  const std::map<std::string, std::string>& env() const { return env_; }

 private:
  FreshHome home_;
  std::map<std::string, std::string> env_;
  InstallAnswer answer_;
};

// One start: the caller's arguments and standard input.
struct Start {
  std::vector<std::string> args;
  std::optional<std::string> input;
};

// An app's way through, the same for every app: `build(folder, version)`
// fills each version's folder; 1.0.0 is released with `options`, installed
// per user and started from its desktop entry (`first`); 2.0.0 is released,
// staged and started the same way (`updated`). The install stays for checks.
struct UpdateWalk {
  std::unique_ptr<VendorApp> app = std::make_unique<VendorApp>();
  std::unique_ptr<DesktopInstall> installed;
  RunResult first;
  RunResult updated;
};
UpdateWalk release_install_update(const std::function<void(const stdfs::path&, const std::string&)>& build,
                                  const std::vector<std::string>& options, const Start& first, const Start& updated);

}  // namespace upkeep::test

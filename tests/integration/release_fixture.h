// Vendor-side set-up shared by the integration tests: signing keys, release
// folders built from the real mainapp, releases published with the real
// `upkeep` tool, the repository served by `upkeep serve`, and an install
// made by `upkeep install`.
#pragma once

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <functional>

#include "test_support.h"
#include "upkeep/base/json.h"
#include "upkeep/policy/config.h"

namespace upkeep::test {

// Runs a program and fails the test (showing its output) unless it exits 0.
inline RunResult run_ok(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                        const std::optional<std::string>& input = std::nullopt) {
  RunResult r = run(argv, env, input);
  INFO("command: " << argv[0] << (argv.size() > 1 ? " " + argv[1] : "") << "\nstdout:\n"
                   << r.out << "\nstderr:\n"
                   << r.err);
  REQUIRE(r.exit_code == 0);
  return r;
}

class VendorRepo {
 public:
  VendorRepo() {
    run_ok({program("upkeep").string(), "keys", "init", "--app-id", "demo", "--keys", keys().string(), "--repo",
            repo().string()});
  }

  stdfs::path keys() const { return dir_ / "keys"; }
  stdfs::path repo() const { return dir_ / "repo"; }
  stdfs::path root_json() const { return repo() / "metadata" / "1.root.json"; }
  const TempDir& dir() const { return dir_; }

  // A build folder holding the real mainapp (debug info stripped to keep packages small) and a VERSION file.
  stdfs::path build_folder(const std::string& version) {
    stdfs::path d = dir_ / ("build-" + version);
    stdfs::create_directories(d);
    stdfs::copy_file(program("mainapp"), d / "mainapp", stdfs::copy_options::overwrite_existing);
    run({"/usr/bin/strip", "--strip-debug", (d / "mainapp").string()});
    write_text(d / "VERSION", version + "\n");
    write_text(d / "share" / "readme.txt", "demo application " + version + "\n");
    return d;
  }

  // A build folder whose main program crashes at once (a broken release).
  stdfs::path crashing_build_folder(const std::string& version) {
    return script_build_folder(version, "echo \"mainapp " + version + " crashing\"\nkill -SEGV $$\n");
  }

  // A build folder whose main program is a shell script with this body.
  stdfs::path script_build_folder(const std::string& version, const std::string& body) {
    stdfs::path d = dir_ / ("build-" + version);
    stdfs::create_directories(d);
    write_text(d / "mainapp", "#!/bin/sh\n" + body);
    chmod((d / "mainapp").c_str(), 0755);
    return d;
  }

  // Releases carry a delta bundle (delta.zst) only when set: most tests exercise the
  // package path on purpose (tests/integration/delta_update_test.cpp the other).
  bool deltas = false;

  // `upkeep release FOLDER --version V` for this repository, with `extra` options.
  std::vector<std::string> release_argv(const stdfs::path& folder, const std::string& version,
                                        const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> argv{program("upkeep").string(),
                                  "release",
                                  folder.string(),
                                  "--version",
                                  version,
                                  "--keys",
                                  keys().string(),
                                  "--repo",
                                  repo().string()};
    if (!deltas) argv.push_back("--no-delta");
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  void release(const stdfs::path& folder, const std::string& version, const std::string& notes = "",
               const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = release_argv(folder, version, extra);
    if (!notes.empty()) {
      stdfs::path notes_file = dir_ / ("notes-" + version);
      write_text(notes_file, notes);
      argv.insert(argv.end(), {"--notes", notes_file.string()});
    }
    run_ok(argv);
  }

  // The published package of a version, for tampering.
  stdfs::path package_file(const std::string& version) const {
    for (const auto& e : stdfs::directory_iterator(repo() / "targets" / "demo" / version / "linux-x86_64"))
      if (e.path().filename().string().find(".package.zip") != std::string::npos) return e.path();
    throw std::runtime_error("no package for " + version);
  }

 private:
  TempDir dir_;
};

// Loads <root>/config.json, applies `change` and saves it (atomically, as the installer does).
inline void edit_config(const stdfs::path& root, const std::function<void(Config&)>& change) {
  Config c = Config::load(root / "config.json");
  change(c);
  c.save(root / "config.json");
}

// An installed application: `upkeep install` of a version into a temporary root.
struct Installed {
  Installed(const std::string& repo_url, const stdfs::path& root_json, const std::string& version,
            const std::map<std::string, std::string>& env = {}) {
    run_ok({program("upkeep").string(), "install", "--repo", repo_url, "--prefix", prefix().string(), "--version",
            version, "--trusted-root", root_json.string()},
           env);
  }
  stdfs::path prefix() const { return dir / "app"; }
  stdfs::path launcher() const { return prefix() / "demo"; }
  std::string current() const { return stdfs::read_symlink(prefix() / "current").string(); }
  Json status() const {
    RunResult r = run_ok({launcher().string(), "--upkeep-status", "--upkeep-json"});
    return Json::parse(r.out, "launcher --upkeep-status --upkeep-json");
  }
  std::string state_of(const std::string& version) const {
    Json s = status();
    for (const auto& v : s.get_array("versions"))
      if (v.get_string("version") == version) return v.get_string("state");
    return "";
  }
  // An event of this kind about this version is among the recent ones of `launcher --upkeep-status`.
  bool has_event(const std::string& kind, const std::string& version) const {
    Json s = status();  // kept alive: the loop iterates over a part of it
    for (const auto& e : s.get_array("events"))
      if (e.get_string("kind") == kind && e.get_string("version") == version) return true;
    return false;
  }
  TempDir dir;
};

// A HOME with nothing in it and no XDG variables: the per-user defaults.
struct FreshHome {
  TempDir dir;
  std::map<std::string, std::string> env() const {
    return {{"HOME", dir.path().string()},
            {"XDG_DATA_HOME", ""},
            {"XDG_CONFIG_HOME", ""},
            {"XDG_STATE_HOME", ""},
            {"XDG_CACHE_HOME", ""}};
  }
  stdfs::path data() const { return dir / ".local" / "share"; }
};

// A managed policy base folder (UPKEEP_POLICY_DIR) with the folder of app "demo" in it.
struct PolicyDir {
  TempDir dir;
  stdfs::path folder() const { return dir / "demo"; }
  std::string file(const std::string& name) const { return (folder() / name).string(); }
  void write(const std::string& name, const std::string& json) const { write_text(folder() / name, json); }
  std::map<std::string, std::string> env() const { return {{"UPKEEP_POLICY_DIR", dir.path().string()}}; }
};

// 1.0.0 released, served by `upkeep serve` and installed; a policy folder to fill.
struct InstalledWithPolicy {
  VendorRepo vendor;
  const bool released = (vendor.release(vendor.build_folder("1.0.0"), "1.0.0"), true);
  RepoServerProcess server{vendor.repo()};
  Installed app{server.url, vendor.root_json(), "1.0.0"};
  PolicyDir policy;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace upkeep::test

// A vendor's application that is not mainapp: a shell script `hello` at
// the top of each release folder, released with the real `upkeep release
// --program hello --health RULE [--arg A]...` (signed in files.json),
// served by `upkeep serve`, installed by `upkeep install`, updates staged by
// the real `upkeep-updater`; the launcher reads what the stager and the
// installer wrote from the signed manifest (manifests/<v>.launch.json).
#pragma once

#include <sys/stat.h>

#include <memory>

#include "release_fixture.h"
#include "upkeep/install/launch_spec.h"
#include "upkeep/install/layout.h"
#include "upkeep/install/state_store.h"
#include "upkeep/policy/config.h"

namespace upkeep::test {

struct ScriptApp {
  VendorRepo vendor;
  std::unique_ptr<RepoServerProcess> server = std::make_unique<RepoServerProcess>(vendor.repo());
  std::unique_ptr<Installed> installed;

  // Releases `version`: `hello` is "#!/bin/sh\n" + `body` ($V is the version in it), or
  // `interpreter` instead of /bin/sh; started with `args` first, healthy by `rule`.
  void release(const std::string& version, const std::string& body, const std::string& rule,
               const std::vector<std::string>& args = {}, const std::string& interpreter = "/bin/sh") {
    stdfs::path d = vendor.dir() / ("hello-" + version);
    stdfs::create_directories(d);
    write_text(d / "hello", "#!" + interpreter + "\nV=" + version + "\n" + body);
    chmod((d / "hello").c_str(), 0755);
    write_text(d / "share" / "readme.txt", "hello " + version + "\n");
    std::vector<std::string> options{"--program", "hello", "--health", rule};
    for (const auto& a : args) options.insert(options.end(), {"--arg", a});
    vendor.release(d, version, "", options);
  }
  // Releases `version` and installs it.
  void install(const std::string& version, const std::string& body, const std::string& rule) {
    release(version, body, rule);
    installed = std::make_unique<Installed>(server->url, vendor.root_json(), version);
    REQUIRE(launch_of(version).health.to_string() == HealthRule::parse(rule).to_string());
  }
  // Releases `version` and stages it.
  void update(const std::string& version, const std::string& body, const std::string& rule,
              const std::vector<std::string>& args = {}) {
    release(version, body, rule, args);
    stage(version);
  }
  // Stages the newest release with the real updater, as a background check would.
  void stage(const std::string& version) {
    run_ok({(root() / "upkeep-updater").string(), "--root", root().string(), "--quiet"});
    REQUIRE(stdfs::exists(Layout(root()).staged_dir(version)));
    REQUIRE(launch_of(version).program == "hello");
  }
  // The launch record the installer or the stager wrote from the signed manifest.
  LaunchSpec launch_of(const std::string& version) const {
    auto spec = LaunchSpec::read(Layout(root()).launch_file(version));
    REQUIRE(spec.has_value());
    return *spec;
  }
  void edit_config(const std::function<void(Config&)>& change) const { test::edit_config(root(), change); }

  stdfs::path root() const { return installed->prefix(); }
  std::string launcher() const { return installed->launcher().string(); }
  std::string current() const { return installed->current(); }
  std::string state_of(const std::string& version) const { return installed->state_of(version); }
  int attempts_of(const std::string& version) const {
    auto r = StateStore(Layout(root()).state_db(), StateStore::Mode::kReadOnly).get(version);
    return r ? r->attempts : -1;
  }
};

// A named pipe in `dir`: a script blocks on reading it until the test writes a line.
inline stdfs::path make_fifo(const TempDir& dir, const std::string& name) {
  stdfs::path p = dir / name;
  REQUIRE(mkfifo(p.c_str(), 0600) == 0);
  return p;
}

// The lines of a text file (none when it does not exist).
inline std::vector<std::string> lines_of(const stdfs::path& file) {
  std::vector<std::string> out;
  if (!stdfs::exists(file)) return out;
  std::string text = read_text(file), line;
  for (char c : text) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace upkeep::test

// The C ABI (upkeep/upkeep.h) through c_api_test.c, a C program linked
// against libupkeep.so: not managed without UPKEEP_ROOT; in a real install
// (config.json naming a file:// repository, managed policy from a folder of
// the test) it checks, stages, skips, or restarts through a stand-in launcher.
// Also: libupkeep.so exports only upkeep_* symbols.
#include <catch2/catch.hpp>
#include <sstream>

#include "embed_fixture.h"
#include "upkeep/base/launch_env.h"

using namespace upkeep;
using namespace upkeep::test;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const stdfs::path kProbe = program("tests/c_api_test");

std::map<std::string, std::string> install_env(EmbedWorld& w) {
  w.open().reset();  // writes config.json
  return {{env::kRoot, w.layout.root().string()}, {env::kVersion, "1.0.0"}, {"UPKEEP_POLICY_DIR", w.policies.string()}};
}

}  // namespace

TEST_CASE("C ABI: a C program is told it is not managed without UPKEEP_ROOT", "[embed][c_api]") {
  RunResult r = run({"/usr/bin/env", "-u", env::kRoot, kProbe.string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "not managed: not started by a launcher (UPKEEP_ROOT is not set)"));
}

TEST_CASE("C ABI: a C program stages an update and skips it", "[embed][c_api]") {
  EmbedWorld w;
  w.publish("2.0.0", "## New\n");
  RunResult r = run({kProbe.string(), "stage"}, install_env(w));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "staged 2.0.0: "));
  CHECK(contains(r.out, "notes: ## New"));
  CHECK(contains(r.out, "\"phase\":\"staged\""));
  CHECK(contains(r.out, "skipped\n"));
  CHECK(StateStore(w.layout.state_db()).get("2.0.0")->state == VersionState::kSkipped);
}

TEST_CASE("C ABI: restart_now runs the save hook and hands over to the launcher", "[embed][c_api]") {
  EmbedWorld w;
  w.publish("2.0.0", "notes");
  LauncherStandIn launcher(w.dir.path());
  auto env = install_env(w);
  env[env::kLauncher] = launcher.script.string();
  RunResult r = run({kProbe.string(), "restart"}, env);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "restarting after 1 save(s)"));
  CHECK(launcher.arguments().rfind("--upkeep-after-pid ", 0) == 0);
}

TEST_CASE("C ABI: libupkeep.so exports only upkeep_* functions", "[embed][c_api]") {
  RunResult r = run({"/usr/bin/nm", "-D", "--defined-only", program("libupkeep.so").string()});
  REQUIRE(r.exit_code == 0);
  std::istringstream lines(r.out);
  std::string line;
  int ours = 0;
  while (std::getline(lines, line)) {
    std::string name = line.substr(line.rfind(' ') + 1);
    INFO(line);
    if (name.rfind("UPKEEP_", 0) == 0) continue;  // the version node (UPKEEP_1)
    CHECK(name.rfind("upkeep_", 0) == 0);
    ours += name.rfind("upkeep_", 0) == 0;
  }
  CHECK(ours >= 30);
}

// Every `upkeep COMMAND --json` is JSON on failure too: one object
// {"error": {"code", "name", "message"}} on stdout (error_json(),
// upkeep/base/exit_codes.h), the code the process exits with; run_command()
// (upkeep/base/command_line.h) prints it for every command and program.
#include "release_fixture.h"
#include "upkeep/base/exit_codes.h"

using namespace upkeep::test;

TEST_CASE("upkeep commands print their failure as one JSON object with --json, and nothing without",
          "[cli][integration]") {
  TempDir dir;
  const std::string upkeep = program("upkeep").string();
  const std::string missing = (dir / "missing").string();
  const std::vector<std::vector<std::string>> failing = {
      {"install", "--repo", "http://127.0.0.1:9/", "--prefix", (dir / "app").string()},  // nothing listens: 6
      {"mirror", "http://127.0.0.1:9/", (dir / "mirror").string()},
      {"rollout", "--version", "1.0.0", "--percent", "50", "--keys", missing, "--repo", missing},
      {"repair", "--prefix", missing},
      {"quarantine", "--prefix", missing},
      {"bundle", "--version", "1.0.0", "-o", (dir / "b").string(), "--repo", missing},
      {"release", missing, "--version", "1.0.0", "--keys", missing, "--repo", missing},
      {"info", "http://127.0.0.1:9/"},
      {"doctor", "http://127.0.0.1:9/", "--trusted-root", missing},  // a failed check is a report; this is an error
      {"compare", "1.0", "not-a-version"},
      {"version-of", missing},
      {"watch", missing},
      {"uninstall"},                    // neither --app-id nor --prefix: 2
      {"install", "--no-such-option"},  // a usage error: 2
  };
  for (auto argv : failing) {
    argv.insert(argv.begin(), upkeep);
    INFO(argv[1] << " " << (argv.size() > 2 ? argv[2] : ""));
    RunResult plain = run(argv);
    CHECK(plain.exit_code != 0);
    CHECK(plain.out.empty());
    argv.push_back("--json");
    RunResult r = run(argv);
    CHECK(r.exit_code == plain.exit_code);
    INFO("stdout: " << r.out);
    const upkeep::Json j = upkeep::Json::parse(r.out, "stdout of --json");
    const upkeep::Json& e = j.at("error");
    CHECK(e.get_int("code") == r.exit_code);
    CHECK(e.get_string("name") == upkeep::exit_code_info(static_cast<upkeep::ErrorCode>(r.exit_code)).name);
    CHECK_FALSE(e.get_string("message").empty());
    // The same failure, once on stderr as one line that names the command (after any warnings).
    const std::string line = "upkeep " + argv[1] + ": " + e.get_string("message") + "\n";
    CHECK(r.err.size() >= line.size());
    CHECK(r.err.substr(r.err.size() - std::min(r.err.size(), line.size())) == line);
    CHECK(r.err.find(e.get_string("message")) == r.err.size() - line.size() + ("upkeep " + argv[1] + ": ").size());
  }
}

TEST_CASE("release, install, quarantine and uninstall name things by the same keys: root, app_id, version",
          "[cli][integration]") {
  VendorRepo vendor;
  RunResult released = run(vendor.release_argv(vendor.build_folder("1.0.0"), "1.0.0", {"--json"}));
  REQUIRE(released.exit_code == 0);
  const upkeep::Json rel = upkeep::Json::parse(released.out, "release --json");
  CHECK(rel.get_string("app_id") == "demo");
  CHECK(rel.get_string("version") == "1.0.0");
  CHECK_FALSE(rel.get_string("platform").empty());
  TempDir home;
  const std::string root = (home / "app").string();
  RunResult installed =
      run({program("upkeep").string(), "install", "--repo", "file://" + vendor.repo().string(), "--prefix", root,
           "--trusted-root", vendor.root_json().string(), "--no-shortcut", "--json"});
  INFO(installed.err);
  REQUIRE(installed.exit_code == 0);
  const upkeep::Json in = upkeep::Json::parse(installed.out, "install --json");
  CHECK(in.get_string("app_id") == "demo");
  CHECK(in.get_string("version") == "1.0.0");
  for (const char* command : {"quarantine", "uninstall"}) {
    INFO(command);
    RunResult r = run({program("upkeep").string(), command, "--prefix", root, "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const upkeep::Json out = upkeep::Json::parse(r.out, "--json");
    CHECK(out.get_string("root") == in.get_string("root"));
    CHECK(out.get_string("app_id") == "demo");
  }
}

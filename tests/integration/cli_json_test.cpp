// Every `upkeep COMMAND --json` is JSON on failure too: one object
// {"error", "exit_code"} on stdout, the code the process exits with
// (programs/upkeep/main.cpp runs each command through with_json_errors).
// `release` has no --json yet (issue #19); `uninstall` of nothing succeeds.
#include "release_fixture.h"

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
      {"bundle", "--version", "1.0.0", "-o", (dir / "b").string(), "--repo", missing},
      {"info", "http://127.0.0.1:9/"},
      {"doctor", "http://127.0.0.1:9/", "--trusted-root", missing},  // a failed check is a report; this is an error
      {"compare", "1.0", "not-a-version"},
      {"version-of", missing},
      {"watch", missing},
      {"install", "--no-such-option"},  // a usage error: 2
  };
  for (auto argv : failing) {
    argv.insert(argv.begin(), upkeep);
    INFO(argv[1] << " " << argv[2]);
    RunResult plain = run(argv);
    CHECK(plain.exit_code != 0);
    CHECK(plain.out.empty());
    argv.push_back("--json");
    RunResult r = run(argv);
    CHECK(r.exit_code == plain.exit_code);
    INFO("stdout: " << r.out);
    const upkeep::Json j = upkeep::Json::parse(r.out, "stdout of --json");
    CHECK(j.get_int("exit_code") == r.exit_code);
    CHECK_FALSE(j.get_string("error").empty());
  }
}

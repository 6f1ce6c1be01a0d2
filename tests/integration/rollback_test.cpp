// Automatic rollback in the same launch (issue #4): a new version that
// crashes, exits non-zero, or cannot run (exit 127) on its first run, within
// its trial window (a release without a launch record: rule running:10), is
// rolled back before the launcher returns, marked bad with the reason,
// recorded as an event, and never offered again. The launcher never kills
// a version that does not confirm (health_rules_test.cpp).
#include "invariants.h"
#include "release_fixture.h"
#include "upkeep/policy/config.h"

using namespace upkeep::test;

namespace {

struct Broken {
  const char* name;
  const char* version;
  const char* body;    // the broken main program
  const char* reason;  // what the launcher must say
};

const Broken kBroken[] = {
    {"crash", "2.1.0", "kill -SEGV $$\n", "killed by signal 11"},
    {"exit", "2.2.0", "exit 3\n", "exit code 3"},
    {"cannot-run", "2.3.0", "exit 127\n", "could not run (exit code 127)"},
};

}  // namespace

TEST_CASE("a new version that crashes, exits non-zero or cannot run is rolled back in the same launch",
          "[rollback][integration]") {
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  // Each broken release alone in a channel of its own, so one install meets one of them.
  for (const auto& b : kBroken)
    vendor.release(
        vendor.script_build_folder(b.version, std::string("echo \"mainapp ") + b.version + " started\"\n" + b.body),
        b.version, "", {"--channel", b.name});
  RepoServerProcess server(vendor.repo());

  for (const auto& b : kBroken) {
    INFO("broken release: " << b.name);
    Installed app(server.url, vendor.root_json(), "1.0.0");
    edit_config(app.prefix(), [&](upkeep::Config& c) { c.channel = b.name; });

    RunResult r = run({app.launcher().string(), "--upkeep-check-now", "--version"});
    INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, std::string("mainapp ") + b.version + " started\n"));
    CHECK(contains(r.out, "mainapp 1.0.0\n"));  // the previous version, in the same launch
    CHECK(contains(r.err, std::string("version ") + b.version));
    CHECK(contains(r.err, b.reason));
    CHECK(contains(r.err, "going back to 1.0.0"));

    CHECK(app.current() == "versions/1.0.0");
    CHECK(app.state_of(b.version) == "bad");
    upkeep::Json status = app.status();
    bool recorded = false;
    for (const auto& e : status.get_array("events"))
      recorded |= e.get_string("kind") == "rolled_back" && e.get_string("version") == b.version &&
                  contains(e.get_string("detail"), b.reason);
    CHECK(recorded);
    auto problems = check_invariants(app.prefix(), {{"1.0.0"}, true, true});
    CHECK(problems.empty());

    // Never offered again.
    RunResult again = run_ok({app.launcher().string(), "--upkeep-check-now", "--version"});
    CHECK_FALSE(contains(again.out, b.version));
    CHECK(contains(again.out, "mainapp 1.0.0\n"));
  }
}

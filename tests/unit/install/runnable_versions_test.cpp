// RunnableVersions: a version whose files do not match its manifest is
// skipped, with the reason, and the next candidate is taken.
#include "upkeep/install/runnable_versions.h"

#include "install_fixture.h"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("a version is runnable when its files match its manifest, and says why not otherwise",
          "[runnable_versions]") {
  Install in;
  RunnableVersions runnable(in.layout, *in.store);
  CHECK(runnable.why_not("1.0.0").empty());

  write_text(in.layout.version_dir("1.0.0") / "app.txt", "damaged");
  CHECK_THAT(runnable.why_not("1.0.0"), Catch::Contains("app.txt") && Catch::Contains("size 7, expected 3"));
  write_text(in.layout.version_dir("1.0.0") / "app.txt", "one");
  write_text(in.layout.version_dir("1.0.0") / "stray", "x");
  CHECK_THAT(runnable.why_not("1.0.0"), Catch::Contains("stray") && Catch::Contains("unexpected file"));
  stdfs::remove(in.layout.version_dir("1.0.0") / "stray");
  stdfs::remove(in.layout.manifest_file("1.0.0"));
  CHECK_THAT(runnable.why_not("1.0.0"), Catch::Contains("manifest") && Catch::Contains("missing"));
  CHECK_THAT(runnable.why_not("9.9.9"), Catch::Contains("folder") && Catch::Contains("missing"));
}

TEST_CASE("rollback candidates: the recorded previous version first, then older good ones, newest first",
          "[runnable_versions]") {
  Install in;
  in.add_installed("1.5.0");
  in.add_installed("2.0.0");
  in.add_installed("3.0.0");
  RunnableVersions runnable(in.layout, *in.store);
  CHECK(runnable.good_versions() == std::vector<std::string>{"3.0.0", "2.0.0", "1.5.0", "1.0.0"});
  CHECK(runnable.rollback_candidates("3.0.0", "1.0.0") == std::vector<std::string>{"1.0.0", "2.0.0", "1.5.0"});
  CHECK(runnable.rollback_candidates("2.0.0", "") == std::vector<std::string>{"1.5.0", "1.0.0"});
}

TEST_CASE("first_of skips a damaged version, names it and why, and takes the next", "[runnable_versions]") {
  Install in;
  in.add_installed("1.5.0");
  stdfs::remove(in.layout.version_dir("1.5.0") / "app.txt");
  RunnableVersions runnable(in.layout, *in.store);
  auto pick = runnable.first_of({"1.5.0", "1.0.0"});
  CHECK(pick.version == std::optional<std::string>("1.0.0"));
  REQUIRE(pick.skipped.size() == 1);
  CHECK_THAT(pick.skipped[0], Catch::StartsWith("1.5.0: ") && Catch::Contains("app.txt: missing"));

  stdfs::remove(in.layout.version_dir("1.0.0") / "app.txt");
  auto none = runnable.first_of({"1.5.0", "1.0.0", "1.5.0"});
  CHECK_FALSE(none.version.has_value());
  CHECK(none.skipped.size() == 2);
  CHECK_THAT(none.skipped_text(), Catch::Contains("1.5.0: ") && Catch::Contains("; 1.0.0: "));
}

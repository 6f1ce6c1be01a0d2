#include "upkeep/update/release_selector.h"

#include <catch2/catch.hpp>

#include "upkeep/update/rollout.h"

using upkeep::Json;
using upkeep::ReleaseInfo;
using upkeep::Rollout;
using upkeep::select_release;
using upkeep::SelectionCriteria;
using upkeep::tuf::TargetFile;

namespace {

const std::string kSha(64, 'a');

TargetFile plain_target(const std::string& path) {
  TargetFile t;
  t.path = path;
  t.length = 100;
  t.hashes["sha256"] = kSha;
  return t;
}

struct Release {
  std::string version;
  std::string channel = "stable";
  std::string app_id = "com.example.app";
  std::string platform = "linux-x86_64";
  bool with_manifest_target = true;
  int rollout = 100;
  bool critical = false;
};

// A package target and (usually) its manifest target, as the publisher lays them out.
// Returns the package target's index.
size_t add(std::vector<TargetFile>& targets, const Release& r) {
  std::string base = r.app_id + "/" + r.version + "/" + r.platform + "/";
  TargetFile pkg = plain_target(base + "package.zip");
  pkg.custom["app_id"] = r.app_id;
  pkg.custom["version"] = r.version;
  pkg.custom["channel"] = r.channel;
  pkg.custom["platform"] = r.platform;
  pkg.custom["notes"] = "notes of " + r.version;
  pkg.custom["critical"] = r.critical;
  pkg.custom["rollout"] = r.rollout;
  pkg.custom["manifest"] = base + "files.json";
  targets.push_back(pkg);
  size_t index = targets.size() - 1;
  if (r.with_manifest_target) targets.push_back(plain_target(base + "files.json"));
  return index;
}

SelectionCriteria criteria(const std::string& installed = "1.0.0") {
  SelectionCriteria c;
  c.app_id = "com.example.app";
  c.platform = "linux-x86_64";
  c.channel = "stable";
  c.installed_version = installed;
  return c;
}

std::string picked(const std::vector<TargetFile>& targets, const SelectionCriteria& c) {
  auto r = select_release(targets, c);
  return r ? r->version : "none";
}

}  // namespace

TEST_CASE("the newest allowed release is offered with its package and manifest targets", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"1.1.0"});
  add(t, {"1.10.0"});  // numeric, not lexical, ordering
  add(t, {"1.2.0"});
  auto r = select_release(t, criteria());
  REQUIRE(r.has_value());
  CHECK(r->version == "1.10.0");
  CHECK(r->channel == "stable");
  CHECK(r->notes == "notes of 1.10.0");
  CHECK_FALSE(r->critical);
  CHECK(r->package.path == "com.example.app/1.10.0/linux-x86_64/package.zip");
  CHECK(r->manifest.path == "com.example.app/1.10.0/linux-x86_64/files.json");
  CHECK(r->manifest.sha256() == kSha);
}

TEST_CASE("only the configured channel is offered", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"1.1.0"});
  add(t, {"2.0.0-beta.1", "beta"});
  CHECK(picked(t, criteria()) == "1.1.0");
  auto c = criteria();
  c.channel = "beta";
  CHECK(picked(t, c) == "2.0.0-beta.1");
  c.channel = "nightly";
  CHECK(picked(t, c) == "none");
}

TEST_CASE("a release without a channel counts as stable", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"1.1.0"});
  t[0].custom.as_object().erase("channel");
  CHECK(picked(t, criteria()) == "1.1.0");
}

TEST_CASE("releases of other apps or platforms are ignored", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"9.0.0", "stable", "com.other.app"});
  add(t, {"8.0.0", "stable", "com.example.app", "linux-arm64"});
  add(t, {"1.1.0"});
  CHECK(picked(t, criteria()) == "1.1.0");
  auto c = criteria();
  c.platform = "linux-arm64";
  CHECK(picked(t, c) == "8.0.0");
}

TEST_CASE("never a downgrade, never the same version, never a bad one", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"0.9.0"});
  add(t, {"1.0.0"});
  CHECK(picked(t, criteria("1.0.0")) == "none");
  CHECK(picked(t, criteria("1.0")) == "none");  // 1.0 == 1.0.0
  add(t, {"1.1.0"});
  add(t, {"1.2.0"});
  auto c = criteria("1.0.0");
  c.refused_versions = {"1.2.0"};
  CHECK(picked(t, c) == "1.1.0");
  c.refused_versions = {"1.2.0", "1.1.0"};
  CHECK(picked(t, c) == "none");
  CHECK(picked(t, criteria("")) == "1.2.0");  // nothing installed: the newest
}

TEST_CASE("a quarantined release is never offered, a newer one is", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"1.1.0"});
  add(t, {"1.2.0"});
  auto c = criteria("1.0.0");
  c.refused_versions = {"1.2.0"};
  CHECK(picked(t, c) == "1.1.0");
  c.refused_versions = {"1.2.0", "1.1.0"};
  CHECK(picked(t, c) == "none");
  add(t, {"1.3.0"});
  CHECK(picked(t, c) == "1.3.0");
  c.exact_version = "1.2.0";  // an explicit install (a fresh root) is the admin's choice
  CHECK(picked(t, c) == "1.2.0");
}

TEST_CASE("a prerelease of the installed version is older than it", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"2.0.0-rc.1"});
  CHECK(picked(t, criteria("2.0.0")) == "none");
  CHECK(picked(t, criteria("1.9.0")) == "2.0.0-rc.1");
}

TEST_CASE("an exact version is offered whatever the channel, installed version or bad list", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"1.0.0"});
  add(t, {"1.5.0", "beta"});
  add(t, {"2.0.0"});
  auto c = criteria("2.0.0");
  c.exact_version = "1.5.0";
  c.refused_versions = {"1.5.0"};
  CHECK(picked(t, c) == "1.5.0");
  c.exact_version = "3.0.0";
  CHECK(picked(t, c) == "none");
  c.exact_version = "1.5";  // exact means exactly as published
  CHECK(picked(t, c) == "none");
}

TEST_CASE("targets with bad versions or malformed release facts are skipped", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"not-a-version"});
  t[add(t, {"99.0.0"})].custom["channel"] = 7;  // wrong type
  t[add(t, {"98.0.0"})].custom["critical"] = "yes";
  t[add(t, {"97.0.0"})].custom["manifest"] = Json::array();
  t[add(t, {"96.0.0"})].custom.as_object().erase("app_id");
  t[add(t, {"95.0.0"})].custom = Json("a string");
  t[add(t, {"94.0.0"})].custom["version"] = 94;
  add(t, {"1.1.0"});
  auto r = select_release(t, criteria());
  REQUIRE(r.has_value());
  CHECK(r->version == "1.1.0");
}

TEST_CASE("a release whose manifest target is not listed is skipped", "[selector]") {
  std::vector<TargetFile> t;
  add(t, {"1.1.0"});
  add(t, {"2.0.0", "stable", "com.example.app", "linux-x86_64", false});
  CHECK(picked(t, criteria()) == "1.1.0");
}

TEST_CASE("no targets, no release", "[selector]") {
  CHECK(picked({}, criteria()) == "none");
  std::vector<TargetFile> t{plain_target("com.example.app/readme.txt")};
  CHECK(picked(t, criteria()) == "none");
}

TEST_CASE("a target version prefix keeps a fleet on one line: releases outside it are not offered",
          "[selector][policy]") {
  std::vector<TargetFile> targets;
  for (const char* v : {"2.4.1", "2.4.3", "2.40.0", "2.5.0", "3.0.0"}) add(targets, {v});
  SelectionCriteria c = criteria("2.4.1");
  CHECK(picked(targets, c) == "3.0.0");
  c.version_prefix = "2.4.";
  CHECK(picked(targets, c) == "2.4.3");
  c.version_prefix = "2.4";  // whole components: not 2.40.0
  CHECK(picked(targets, c) == "2.4.3");
  c.installed_version = "2.4.3";
  CHECK(picked(targets, c) == "none");
}

TEST_CASE("installed outside the prefix: nothing older without rollback, the newest matching with it",
          "[selector][policy]") {
  std::vector<TargetFile> targets;
  for (const char* v : {"2.4.1", "2.4.3", "2.5.0", "3.0.0"}) add(targets, {v});
  SelectionCriteria c = criteria("2.5.0");
  c.version_prefix = "2.4.";
  CHECK(picked(targets, c) == "none");  // never a downgrade by default
  c.rollback_to_prefix = true;
  auto r = select_release(targets, c);
  REQUIRE(r);
  CHECK(r->version == "2.4.3");
  CHECK(r->downgrade);
  // A refused (bad or quarantined) version is not a rollback target either.
  c.refused_versions = {"2.4.3"};
  CHECK(picked(targets, c) == "2.4.1");
  // Installed inside the prefix: rollback changes nothing.
  c.refused_versions.clear();
  c.installed_version = "2.4.3";
  CHECK(picked(targets, c) == "none");
  // An upgrade within the prefix is not a downgrade.
  c.installed_version = "2.4.1";
  r = select_release(targets, c);
  REQUIRE(r);
  CHECK(r->version == "2.4.3");
  CHECK_FALSE(r->downgrade);
}

TEST_CASE("allow_downgrade: after a channel change the channel's newest release is offered even if older",
          "[selector][policy]") {
  std::vector<TargetFile> targets;
  add(targets, {"2.0.0"});
  add(targets, {"2.1.0"});
  add(targets, {.version = "3.0.0-beta.1", .channel = "beta"});
  SelectionCriteria c = criteria("3.0.0-beta.1");  // installed from beta, now on stable
  CHECK(picked(targets, c) == "none");
  c.allow_downgrade = true;
  auto r = select_release(targets, c);
  REQUIRE(r);
  CHECK(r->version == "2.1.0");
  CHECK(r->downgrade);
  // The installed version is a release of the channel: nothing older is offered.
  c.installed_version = "2.1.0";
  CHECK(picked(targets, c) == "none");
  c.channel = "beta";
  c.installed_version = "3.0.0-beta.1";
  CHECK(picked(targets, c) == "none");
}

TEST_CASE("a staged rollout holds a release back from background checks outside its share", "[selector][rollout]") {
  std::vector<TargetFile> t;
  add(t, {.version = "1.1.0"});
  add(t, {.version = "1.2.0", .rollout = 0});
  SelectionCriteria background = criteria();
  background.rollout_bucket = 0;  // the first bucket: in every rollout above 0 %
  // 0 %: not offered to a background check; the older release rolled out to everyone still is.
  CHECK(picked(t, background) == "1.1.0");
  // A manual check (no bucket) ignores the rollout.
  CHECK(picked(t, criteria()) == "1.2.0");
  auto r = select_release(t, criteria());
  REQUIRE(r);
  CHECK(r->rollout == 0);

  // Raised to 10 %: buckets 0..999 get it, 1000 and above do not yet.
  t[2].custom["rollout"] = 10;
  CHECK(picked(t, background) == "1.2.0");
  background.rollout_bucket = 999;
  CHECK(picked(t, background) == "1.2.0");
  background.rollout_bucket = 1000;
  CHECK(picked(t, background) == "1.1.0");
  t[2].custom["rollout"] = 100;
  CHECK(picked(t, background) == "1.2.0");
}

TEST_CASE("a critical release skips the staged rollout", "[selector][rollout]") {
  std::vector<TargetFile> t;
  add(t, {.version = "1.2.0", .rollout = 0, .critical = true});
  SelectionCriteria background = criteria();
  background.rollout_bucket = Rollout::kBucketCount - 1;
  auto r = select_release(t, background);
  REQUIRE(r);
  CHECK(r->version == "1.2.0");
  CHECK(r->critical);
}

TEST_CASE("a release without custom.rollout is rolled out to everyone", "[selector][rollout]") {
  std::vector<TargetFile> t;
  add(t, {.version = "1.2.0"});
  Json custom = Json::object();
  for (const auto& [k, v] : t[0].custom.as_object())
    if (k != "rollout") custom[k] = v;
  t[0].custom = custom;
  SelectionCriteria background = criteria();
  background.rollout_bucket = Rollout::kBucketCount - 1;
  CHECK(picked(t, background) == "1.2.0");
}

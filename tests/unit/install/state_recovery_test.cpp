// StateRecovery and StateStore::damage on real files: each kind of damage
// is told apart from a good, a new and a newer database; a damaged store is
// set aside with its -wal and -shm and rebuilt from the version folders that
// match their manifests; TempSweeper's name rule.
#include "upkeep/install/state_recovery.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "test_support.h"
#include "upkeep/install/manifest.h"
#include "upkeep/install/temp_sweeper.h"
#include "upkeep/platform/fs.h"

using upkeep::FileManifest;
using upkeep::Layout;
using upkeep::StateRecovery;
using upkeep::StateStore;
using upkeep::TempSweeper;
using upkeep::VersionState;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

// versions/<v> with one file and its manifest in manifests/.
void install_version(const Layout& layout, const std::string& v) {
  write_text(layout.version_dir(v) / "app", "program " + v + "\n");
  write_text(layout.manifest_file(v), FileManifest::from_directory(layout.version_dir(v), v).to_json());
}

std::vector<std::string> aside(const Layout& layout) {
  std::vector<std::string> out;
  for (const auto& e : stdfs::directory_iterator(layout.root()))
    if (e.path().filename().string().rfind("state.db.damaged-", 0) == 0) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("damage() tells damaged state databases from good, new and missing ones", "[state_recovery]") {
  TempDir dir;
  const stdfs::path db = dir / "state.db";
  CHECK(StateStore::damage(db).empty());  // missing: a new one
  write_text(db, "");
  CHECK(StateStore::damage(db).empty());  // empty: a new one
  {
    StateStore s(db);
    s.add_event("x", "1", std::string(20000, 'e'));
  }
  CHECK(StateStore::damage(db).empty());
  const std::string good = read_text(db);

  stdfs::resize_file(db, good.size() / 2 + 100);
  CHECK_FALSE(StateStore::damage(db).empty());
  std::mt19937 rng(3);
  std::string noise(good.size(), '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  write_text(db, noise);
  CHECK_FALSE(StateStore::damage(db).empty());
  stdfs::remove(db);
  stdfs::create_directories(db);
  CHECK_THAT(StateStore::damage(db), Catch::Contains("folder"));
}

TEST_CASE("a damaged store is set aside with its -wal and -shm and rebuilt from the folders", "[state_recovery]") {
  TempDir dir;
  const Layout layout(dir.path());
  for (const char* v : {"1.0.0", "2.0.0", "3.0.0"}) install_version(layout, v);
  write_text(layout.version_dir("3.0.0") / "stray", "x");  // does not match its manifest: not recorded
  stdfs::create_directories(layout.version_dir("4.0.0"));  // no manifest: not recorded
  layout.switch_current("2.0.0");
  write_text(layout.state_db(), "this is not a database, it is a text file of some length................");
  write_text(layout.state_db().string() + "-wal", "wal");
  {
    StateStore store = StateRecovery(layout).open();
    auto all = store.all();
    REQUIRE(all.size() == 2);
    auto current = store.get("2.0.0");
    REQUIRE(current);
    CHECK(current->state == VersionState::kGood);
    CHECK(current->previous == "1.0.0");
    CHECK(current->manifest_sha256.empty());
    CHECK(store.get("1.0.0")->state == VersionState::kGood);
    CHECK_FALSE(store.get("3.0.0"));
    CHECK(store.events(1).at(0).kind == "state_rebuilt");
  }
  auto moved = aside(layout);
  REQUIRE(moved.size() >= 2);  // state.db and its -wal (and a -shm when the check made one)
  CHECK(std::count(moved.begin(), moved.end(), moved[0] + "-wal") == 1);
  CHECK(read_text(layout.root() / (moved[0] + "-wal")) == "wal");
  CHECK_FALSE(stdfs::exists(layout.state_db().string() + "-wal"));
  CHECK_FALSE(stdfs::exists(layout.state_db().string() + "-wal.damaged"));

  // Opened again: good, left alone.
  { StateStore store = StateRecovery(layout).open(); }
  CHECK(aside(layout) == moved);
}

TEST_CASE("a new store in an empty root rebuilds nothing and records no event", "[state_recovery]") {
  TempDir dir;
  const Layout layout(dir.path());
  StateStore store = StateRecovery(layout).open();
  CHECK(store.all().empty());
  CHECK(store.events(5).empty());
  CHECK(aside(layout).empty());
}

TEST_CASE("a database of a newer upkeep is refused, never set aside", "[state_recovery]") {
  TempDir dir;
  const Layout layout(dir.path());
  { StateStore(layout.state_db()).set_meta("schema_version", "999"); }
  CHECK_THROWS(StateRecovery(layout).open());
  CHECK(aside(layout).empty());
}

TEST_CASE("TempSweeper knows the names atomic writes leave", "[state_recovery]") {
  CHECK(TempSweeper::writer_pid(".pending.tmp-4711-123") == 4711);
  CHECK(TempSweeper::writer_pid("config.json.tmp-1-0") == 1);
  CHECK(TempSweeper::writer_pid("config.json.tmp-x-1") == 0);
  CHECK(TempSweeper::writer_pid("config.json.tmp-12") == 0);
  CHECK(TempSweeper::writer_pid("config.json.tmp-12-") == 0);
  CHECK(TempSweeper::writer_pid(".tmp-1-2") == 0);
  CHECK(TempSweeper::writer_pid("state.db") == 0);
}

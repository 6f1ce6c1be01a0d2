#include "upkeep/platform/tree_watcher.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <set>
#include <thread>

#include "test_support.h"
#include "upkeep/base/error.h"

using upkeep::TreeEvent;
using upkeep::TreeWatcher;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// Collects events until `done` holds for what was collected, or a 10 s deadline.
struct Collector {
  TreeWatcher& w;
  std::vector<TreeEvent> seen;

  bool until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      for (auto& e : w.wait(100ms)) seen.push_back(e);
    }
    return true;
  }
  bool has(const std::string& path, TreeEvent::Kind kind) const {
    for (const auto& e : seen)
      if (e.path == path && e.kind == kind) return true;
    return false;
  }
  bool saw(const std::string& path) const {
    for (const auto& e : seen)
      if (e.path == path) return true;
    return false;
  }
  // Everything the kernel reports within `quiet` of silence is read.
  void drain() {
    for (auto events = w.wait(200ms); !events.empty(); events = w.wait(200ms))
      seen.insert(seen.end(), events.begin(), events.end());
  }
};

}  // namespace

TEST_CASE("TreeWatcher: files written in the root and in folders that exist at the start", "[tree_watcher]") {
  TempDir tmp;
  write_text(tmp.path() / "a" / "b" / "old.txt", "1");
  TreeWatcher w(tmp.path());
  CHECK(w.watched_folders() == 3);
  Collector c{w};
  write_text(tmp.path() / "top.txt", "x");
  write_text(tmp.path() / "a" / "b" / "old.txt", "2");
  stdfs::remove(tmp.path() / "top.txt");
  REQUIRE(c.until(
      [&] { return c.has("a/b/old.txt", TreeEvent::Kind::kModified) && c.has("top.txt", TreeEvent::Kind::kRemoved); }));
  CHECK(c.has("top.txt", TreeEvent::Kind::kCreated));
}

TEST_CASE("TreeWatcher: a folder tree made after the start is followed, files written before its watch included",
          "[tree_watcher]") {
  TempDir tmp;
  TreeWatcher w(tmp.path());
  Collector c{w};
  // mkdir -p and a file at once, faster than the watcher can add the watches:
  // the files below are found by the scan of each new folder.
  stdfs::create_directories(tmp.path() / "n1" / "n2" / "n3");
  write_text(tmp.path() / "n1" / "n2" / "n3" / "early.txt", "e");
  write_text(tmp.path() / "n1" / "first.txt", "f");
  REQUIRE(c.until([&] { return c.saw("n1/n2/n3/early.txt") && c.saw("n1/first.txt"); }));
  c.drain();
  CHECK(w.watched_folders() == 4);
  c.seen.clear();
  // Written after the watches exist: seen as events of its own.
  write_text(tmp.path() / "n1" / "n2" / "n3" / "late.txt", "l");
  REQUIRE(c.until([&] { return c.saw("n1/n2/n3/late.txt"); }));
}

TEST_CASE("TreeWatcher: a renamed folder is followed under its new name, one moved out or deleted is dropped",
          "[tree_watcher]") {
  TempDir tmp;
  TempDir outside;
  write_text(tmp.path() / "old" / "sub" / "f.txt", "1");
  write_text(tmp.path() / "gone" / "g.txt", "1");
  write_text(tmp.path() / "away" / "a.txt", "1");
  TreeWatcher w(tmp.path());
  CHECK(w.watched_folders() == 5);
  Collector c{w};

  stdfs::rename(tmp.path() / "old", tmp.path() / "new");
  REQUIRE(c.until([&] { return c.has("old", TreeEvent::Kind::kRemoved) && c.saw("new/sub/f.txt"); }));
  c.drain();
  c.seen.clear();
  write_text(tmp.path() / "new" / "sub" / "f.txt", "2");
  REQUIRE(c.until([&] { return c.has("new/sub/f.txt", TreeEvent::Kind::kModified); }));
  CHECK_FALSE(c.saw("old/sub/f.txt"));

  stdfs::remove_all(tmp.path() / "gone");
  stdfs::rename(tmp.path() / "away", outside.path() / "away");
  REQUIRE(
      c.until([&] { return c.has("gone", TreeEvent::Kind::kRemoved) && c.has("away", TreeEvent::Kind::kRemoved); }));
  c.drain();
  CHECK(w.watched_folders() == 3);  // root, new, new/sub
  c.seen.clear();
  write_text(outside.path() / "away" / "a.txt", "2");  // no longer in the tree
  write_text(tmp.path() / "marker", "m");
  REQUIRE(c.until([&] { return c.saw("marker"); }));
  c.drain();
  for (const auto& e : c.seen) CHECK(e.path.rfind("away", 0) != 0);
}

TEST_CASE("TreeWatcher: a folder moved in from outside is watched and its files reported", "[tree_watcher]") {
  TempDir tmp;
  TempDir outside;
  write_text(outside.path() / "pkg" / "deep" / "x.bin", "x");
  TreeWatcher w(tmp.path());
  Collector c{w};
  stdfs::rename(outside.path() / "pkg", tmp.path() / "pkg");
  REQUIRE(c.until([&] { return c.has("pkg/deep/x.bin", TreeEvent::Kind::kCreated); }));
  c.drain();
  CHECK(w.watched_folders() == 3);
}

TEST_CASE("TreeWatcher: wake() ends a wait from another thread", "[tree_watcher]") {
  TempDir tmp;
  TreeWatcher w(tmp.path());
  const auto start = std::chrono::steady_clock::now();
  std::thread waker([&] { w.wake(); });  // before or during the wait: either way it returns at once
  auto events = w.wait(30s);
  waker.join();
  CHECK(events.empty());
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("TreeWatcher: a missing root is an error naming it", "[tree_watcher]") {
  TempDir tmp;
  try {
    TreeWatcher w(tmp.path() / "missing");
    FAIL("no error");
  } catch (const upkeep::Error& e) {
    CHECK(e.code() == upkeep::ErrorCode::kNotFound);
    CHECK(std::string(e.what()).find("missing") != std::string::npos);
  }
}

TEST_CASE("TreeWatcher: the limit's description names the limit file and its value", "[tree_watcher]") {
  const std::string d = upkeep::tree_watch_limit_description();
  CHECK(d.find("/proc/sys/fs/inotify/max_user_watches is ") == 0);
}

namespace {

// The machine's inotify queue length lowered for as long as this lives (a
// watcher made meanwhile keeps the short queue), restored on destruction.
// ok() is false where /proc/sys/fs/inotify/max_queued_events is not writable.
class ShortInotifyQueue {
 public:
  explicit ShortInotifyQueue(int events) {
    try {
      old_ = upkeep::test::read_text(kFile);
      write_text(kFile, std::to_string(events) + "\n");
      ok_ = std::stoi(upkeep::test::read_text(kFile)) == events;
    } catch (const std::exception&) {
      ok_ = false;
    }
  }
  ~ShortInotifyQueue() { restore(); }
  void restore() {
    if (!old_.empty()) {
      try {
        write_text(kFile, old_);
      } catch (const std::exception&) {
      }
      old_.clear();
    }
  }
  bool ok() const { return ok_; }

 private:
  static constexpr const char* kFile = "/proc/sys/fs/inotify/max_queued_events";
  std::string old_;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("TreeWatcher: a queue overflow re-watches the tree and says so, folders made meanwhile are followed",
          "[tree_watcher]") {
  TempDir tmp;
  std::unique_ptr<TreeWatcher> w;
  {
    ShortInotifyQueue queue(16);  // only while the watcher is made: its queue keeps the length
    if (!queue.ok()) {
      WARN("skipped: /proc/sys/fs/inotify/max_queued_events is not writable here");
      return;
    }
    w = std::make_unique<TreeWatcher>(tmp.path());
  }
  for (int i = 0; i < 100; ++i) write_text(tmp.path() / ("f" + std::to_string(i)), "x");
  stdfs::create_directories(tmp.path() / "made" / "during");
  Collector c{*w};
  REQUIRE(c.until([&] { return c.has("", TreeEvent::Kind::kRescanned); }));
  c.drain();
  CHECK(w->watched_folders() == 3);
  c.seen.clear();
  write_text(tmp.path() / "made" / "during" / "after.txt", "a");
  REQUIRE(c.until([&] { return c.saw("made/during/after.txt"); }));
}

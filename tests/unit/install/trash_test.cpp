#include "upkeep/install/trash.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <future>

#include "install_fixture.h"
#include "upkeep/platform/install_lock.h"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("Trash::move_in moves a tree out of the way in one rename and empty() deletes it", "[trash]") {
  Install in;
  write_text(in.layout.version_dir("0.9.0") / "a" / "b.txt", "old");
  write_text(in.layout.staging_dir() / "2.0.0.tmp-extract" / "c.txt", "leftover");
  Trash trash(in.layout);
  CHECK(trash.is_empty());
  trash.move_in(in.layout.version_dir("0.9.0"));
  trash.move_in(in.layout.staging_dir() / "2.0.0.tmp-extract");
  trash.move_in(in.layout.version_dir("0.8.0"));  // missing: nothing to do
  CHECK_FALSE(stdfs::exists(in.layout.version_dir("0.9.0")));
  CHECK_FALSE(stdfs::exists(in.layout.staging_dir() / "2.0.0.tmp-extract"));
  std::vector<std::string> names;
  for (const auto& e : stdfs::directory_iterator(in.layout.trash_dir())) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() == 2);
  CHECK(names[0].rfind("0.9.0.", 0) == 0);
  CHECK(names[1].rfind("2.0.0.tmp-extract.", 0) == 0);
  CHECK_FALSE(trash.is_empty());

  CHECK(trash.empty() == 2);
  CHECK(trash.is_empty());
  CHECK(stdfs::is_directory(in.layout.version_dir("1.0.0")));  // nothing outside the trash
}

TEST_CASE("the same name moved into the trash twice gets two entries", "[trash]") {
  Install in;
  Trash trash(in.layout);
  for (int i = 0; i < 2; ++i) {
    write_text(in.layout.staging_dir() / "3.0.0" / "f.txt", std::to_string(i));
    trash.move_in(in.layout.staging_dir() / "3.0.0");
  }
  CHECK(std::distance(stdfs::directory_iterator(in.layout.trash_dir()), stdfs::directory_iterator()) == 2);
  CHECK(trash.empty() == 2);
}

TEST_CASE("Trash::empty waits for another emptier's lock", "[trash]") {
  Install in;
  Trash trash(in.layout);
  write_text(in.layout.version_dir("0.9.0") / "f.txt", "old");
  trash.move_in(in.layout.version_dir("0.9.0"));
  // Another process holds the lock (its own descriptor) until told to end.
  int locked[2], go[2];
  REQUIRE(pipe(locked) == 0);
  REQUIRE(pipe(go) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    auto held = InstallLock::acquire(in.layout.trash_lock_file(), std::chrono::seconds(5));
    char c = 1;
    (void)!write(locked[1], &c, 1);
    (void)!read(go[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  REQUIRE(read(locked[0], &c, 1) == 1);
  auto emptied = std::async(std::launch::async, [&] { return Trash(in.layout).empty(); });
  CHECK(emptied.wait_for(std::chrono::milliseconds(500)) == std::future_status::timeout);  // waits for the lock
  CHECK_FALSE(trash.is_empty());
  REQUIRE(write(go[1], &c, 1) == 1);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(emptied.get() == 1);
  CHECK(trash.is_empty());
  for (int fd : {locked[0], locked[1], go[0], go[1]}) close(fd);
}

// Durability (issue #4), checked on the real system calls: the update path
// (upkeep-updater stages, the launcher applies and runs the trial) is run
// under strace, and the trace must show that every rename that publishes
// something renames data already fsynced (under its earlier name, for a
// folder moved twice), is followed by an fsync of the folder(s) it changed
// before the same process renames anything else, and that SQLite syncs its
// WAL on every commit (synchronous=FULL), not only at checkpoints. A
// syncfs(2) (fs::sync_tree: a version's files made durable at once) syncs
// everything written on the file system before it.
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "release_fixture.h"

using namespace upkeep::test;

namespace {

struct Call {
  int pid = 0;
  enum Kind { kSync, kSyncFs, kRename } kind = kSync;
  std::string path, to;  // kSync: path; kRename: path -> to
};

std::vector<Call> parse_trace(const std::string& text) {
  static const std::regex sync(R"re(^(\d+)\s+f(?:data)?sync\(\d+<([^>]*)>\)\s+= 0)re");
  static const std::regex syncfs(R"re(^(\d+)\s+syncfs\(\d+<([^>]*)>\)\s+= 0)re");
  static const std::regex rename_(R"re(^(\d+)\s+rename\("([^"]*)", "([^"]*)"\)\s+= 0)re");
  static const std::regex renameat(R"re(^(\d+)\s+renameat2?\(AT_FDCWD, "([^"]*)", AT_FDCWD, "([^"]*)".*= 0)re");
  std::vector<Call> calls;
  std::istringstream in(text);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, sync)) {
      calls.push_back({std::stoi(m[1]), Call::kSync, m[2], ""});
    } else if (std::regex_search(line, m, syncfs)) {
      calls.push_back({std::stoi(m[1]), Call::kSyncFs, m[2], ""});
    } else if (std::regex_search(line, m, rename_) || std::regex_search(line, m, renameat)) {
      calls.push_back({std::stoi(m[1]), Call::kRename, m[2], m[3]});
    }
  }
  return calls;
}

std::string parent(const std::string& p) { return stdfs::path(p).parent_path().string(); }

}  // namespace

TEST_CASE("every rename that publishes an update is fsynced before and its folder after, and SQLite syncs each commit",
          "[durability][integration]") {
  REQUIRE(stdfs::exists("/usr/bin/strace"));  // installed by scripts/setup.sh
  VendorRepo vendor;
  vendor.release(vendor.build_folder("1.0.0"), "1.0.0");
  vendor.release(vendor.build_folder("2.0.0"), "2.0.0");
  RepoServerProcess server(vendor.repo());
  Installed app(server.url, vendor.root_json(), "1.0.0");

  stdfs::path trace = app.dir / "strace.txt";
  RunResult r = run({"/usr/bin/strace", "-f", "-y", "-qq", "-o", trace.string(), "-e",
                     "trace=fsync,fdatasync,syncfs,rename,renameat,renameat2", app.launcher().string(),
                     "--upkeep-check-now", "--version"});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(contains(r.out, "mainapp 2.0.0\n"));
  const std::string root = app.prefix().string();
  std::vector<Call> calls = parse_trace(read_text(trace));

  std::set<std::string> durable;              // paths whose data has been fsynced (kept across renames)
  std::map<int, std::set<std::string>> owed;  // per process: folders to fsync before its next rename
  int renames = 0, wal_syncs = 0, tree_syncs = 0;
  std::vector<std::string> problems;
  for (const auto& c : calls) {
    if (c.path.rfind(root, 0) != 0) continue;  // only the install root
    if (c.kind == Call::kSyncFs) {
      // The whole file system: every folder owed by any process, and the synced tree itself.
      ++tree_syncs;
      durable.insert(c.path);
      owed.clear();
      continue;
    }
    if (c.kind == Call::kSync) {
      durable.insert(c.path);
      owed[c.pid].erase(c.path);
      if (c.path == root + "/state.db-wal") ++wal_syncs;
      continue;
    }
    ++renames;
    for (const auto& folder : owed[c.pid])
      problems.push_back("pid " + std::to_string(c.pid) + " renamed " + c.path + " before fsyncing " + folder);
    owed[c.pid].clear();
    // A new symlink cannot be fsynced; its folder's fsync after the rename makes it durable.
    bool symlink_temp = c.path.find("/current.tmp-") != std::string::npos;
    // A move into the trash publishes nothing (trash.h); its folders are still owed their fsync.
    bool into_trash = c.to.rfind(root + "/trash/", 0) == 0;
    if (!symlink_temp && !into_trash && !durable.count(c.path))
      problems.push_back("renamed " + c.path + " -> " + c.to + " without an fsync of its data first");
    durable.insert(c.to);
    owed[c.pid].insert(parent(c.to));
    if (parent(c.path) != parent(c.to)) owed[c.pid].insert(parent(c.path));
  }
  for (const auto& [pid, folders] : owed)
    for (const auto& f : folders) problems.push_back("pid " + std::to_string(pid) + " never fsynced " + f);

  INFO("problems:\n"
       << [&] {
            std::string s;
            for (const auto& p : problems) s += "  " + p + "\n";
            return s;
          }());
  CHECK(problems.empty());
  // The package, the extracted folder, the manifest, the marker, the move into versions/ and `current`.
  CHECK(renames >= 6);
  // The extracted version made durable in one call, not one fsync per file.
  CHECK(tree_syncs >= 1);
  // One WAL sync per commit: staged, journal, trial, attempt, confirmed, ... (NORMAL would sync at checkpoints only).
  CHECK(wal_syncs >= 6);
}

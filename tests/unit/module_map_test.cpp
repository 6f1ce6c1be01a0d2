// The module map of docs/architecture.md, checked on the source tree: each
// folder of lib/upkeep/ includes only the folders its arrows allow, no file
// includes itself through a cycle, and the launcher's core (the folders
// UPKEEP_CORE_FOLDERS names in CMakeLists.txt) uses neither Poco nor the
// network. CTest's core_links_no_network checks the built core library too.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace stdfs = std::filesystem;

namespace {

const stdfs::path kLib = stdfs::path(UPKEEP_SOURCE_DIR) / "lib";

// The arrows of docs/architecture.md's module map: folder -> what it may include.
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"base", {}},
    {"platform", {"base"}},
    {"install", {"base", "platform"}},
    {"policy", {"base", "platform", "install"}},
    {"hooks", {"base", "platform", "install"}},
    {"net", {"base", "platform"}},
    {"desktop", {"base", "platform"}},
    {"delta", {"base", "platform", "install"}},
    {"tuf", {"base", "platform", "install", "net"}},
    {"repository", {"base", "platform", "net", "tuf"}},
    {"update", {"base", "platform", "install", "policy", "hooks", "net", "tuf", "delta", "repository"}},
    {"embed",
     {"base", "platform", "install", "policy", "hooks", "net", "tuf", "delta", "repository", "update", "upkeep.h"}},
    {"upkeep.h", {}},  // the C ABI's header at the root (its "folder" is itself): plain C, includes nothing of ours
    {"fileinfo", {"base", "platform", "update"}},
    {"publish", {"base", "platform", "install", "net", "tuf", "delta", "repository", "update", "fileinfo"}},
    {"admin",
     {"base", "platform", "install", "policy", "hooks", "net", "desktop", "tuf", "delta", "repository", "update",
      "fileinfo", "publish"}},
    {"watch", {"base", "platform", "install", "net", "tuf", "delta", "repository", "update", "fileinfo", "publish"}},
    {"webui", {"base", "platform", "net", "embed"}},
};
// UPKEEP_CORE_FOLDERS of CMakeLists.txt, "base,platform,...".
const std::set<std::string> kCore = [] {
  std::set<std::string> out;
  std::string list = UPKEEP_CORE_FOLDERS;
  for (size_t start = 0, end; start <= list.size(); start = end + 1) {
    end = std::min(list.find(',', start), list.size());
    out.insert(list.substr(start, end - start));
  }
  return out;
}();

struct Source {
  std::string folder;                  // "install"
  std::vector<std::string> ours;       // "upkeep/base/error.h"
  std::vector<std::string> libraries;  // <Poco/Net/HTTPClientSession.h>
};

// Every file under lib/upkeep/, keyed "upkeep/<folder>/<name>".
std::map<std::string, Source> read_sources() {
  static const std::regex ours(R"(^\s*#\s*include\s*"([^"]+)\")");
  static const std::regex theirs(R"(^\s*#\s*include\s*<([^>]+)>)");
  std::map<std::string, Source> out;
  for (const auto& entry : stdfs::recursive_directory_iterator(kLib / "upkeep")) {
    if (!entry.is_regular_file()) continue;
    std::string key = stdfs::relative(entry.path(), kLib).generic_string();
    Source s;
    s.folder = stdfs::relative(entry.path(), kLib / "upkeep").begin()->string();
    std::ifstream in(entry.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
      if (std::regex_search(line, m, ours)) s.ours.push_back(m[1]);
      if (std::regex_search(line, m, theirs)) s.libraries.push_back(m[1]);
    }
    out[key] = std::move(s);
  }
  return out;
}

std::string folder_of(const std::string& include) {  // "upkeep/base/error.h" -> "base"
  auto first = include.find('/');
  return include.substr(first + 1, include.find('/', first + 1) - first - 1);
}

}  // namespace

TEST_CASE("every library header is included as upkeep/<folder>/<file> and exists", "[module_map]") {
  auto sources = read_sources();
  REQUIRE(sources.size() > 100);
  for (const auto& [file, s] : sources) {
    for (const auto& inc : s.ours) {
      INFO(file << " includes \"" << inc << "\"");
      CHECK(inc.rfind("upkeep/", 0) == 0);
      CHECK(sources.count(inc) == 1);
    }
  }
  // Nothing but the folders lives at the library's root, and the C ABI's header (upkeep/upkeep.h).
  for (const auto& entry : stdfs::directory_iterator(kLib / "upkeep")) {
    INFO(entry.path().string());
    if (entry.path().filename() == "upkeep.h") continue;
    CHECK(entry.is_directory());
    CHECK(kAllowed.count(entry.path().filename().string()) == 1);
  }
}

TEST_CASE("folders include only along the module map's arrows", "[module_map]") {
  for (const auto& [file, s] : read_sources()) {
    REQUIRE(kAllowed.count(s.folder) == 1);
    for (const auto& inc : s.ours) {
      std::string to = folder_of(inc);
      if (to == s.folder) continue;
      INFO(file << " (" << s.folder << ") includes " << inc << " (" << to << ")");
      CHECK(kAllowed.at(s.folder).count(to) == 1);
    }
  }
}

TEST_CASE("no include cycle between the library's files", "[module_map]") {
  auto sources = read_sources();
  std::map<std::string, int> state;  // 1: on the path, 2: done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& f) {
    state[f] = 1;
    path.push_back(f);
    for (const auto& inc : sources[f].ours) {
      if (state[inc] == 1) {
        std::string cycle;
        for (auto it = std::find(path.begin(), path.end(), inc); it != path.end(); ++it) cycle += *it + " -> ";
        FAIL("include cycle: " << cycle << inc);
      }
      if (state[inc] == 0) visit(inc);
    }
    path.pop_back();
    state[f] = 2;
  };
  for (const auto& [file, s] : sources)
    if (state[file] == 0) visit(file);
  SUCCEED("acyclic over " << sources.size() << " files");
}

TEST_CASE("the launcher's core includes no Poco and no network header", "[module_map]") {
  const std::vector<std::string> banned = {"Poco/", "sys/socket.h", "netdb.h", "netinet/", "arpa/inet.h"};
  int core_files = 0;
  for (const auto& [file, s] : read_sources()) {
    if (!kCore.count(s.folder)) continue;
    ++core_files;
    for (const auto& lib : s.libraries)
      for (const auto& b : banned) {
        INFO(file << " includes <" << lib << ">");
        CHECK(lib.find(b) == std::string::npos);
      }
  }
  CHECK(core_files > 40);
}

TEST_CASE("the core's folders are folders of the module map, and the core includes only the core", "[module_map]") {
  REQUIRE(kCore.size() >= 5);
  for (const auto& folder : kCore) {
    INFO("UPKEEP_CORE_FOLDERS names " << folder);
    CHECK(kAllowed.count(folder) == 1);
  }
  for (const auto& [file, s] : read_sources()) {
    if (!kCore.count(s.folder)) continue;
    for (const auto& inc : s.ours) {
      INFO(file << " (core) includes " << inc);
      CHECK(kCore.count(folder_of(inc)) == 1);
    }
  }
}

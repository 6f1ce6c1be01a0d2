// `upkeep release --compression fast|default|max --jobs N` as a vendor runs
// it: the presets and thread counts publish releases that install and run,
// and a bad value is a usage error that publishes nothing.
#include <catch2/catch.hpp>

#include "release_fixture.h"
#include "test_support.h"
#include "unit/delta/delta_test_data.h"
#include "upkeep/base/json.h"

namespace upkeep::test {
namespace {

// Bytes of the files below the repository's blob store.
uint64_t blob_bytes(const VendorRepo& v) {
  uint64_t n = 0;
  for (const auto& e : stdfs::recursive_directory_iterator(v.repo() / "targets" / "demo" / "blobs"))
    if (e.is_regular_file()) n += e.file_size();
  return n;
}

// Every file below `dir` with its content.
std::map<std::string, std::string> tree_of(const stdfs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : stdfs::recursive_directory_iterator(dir))
    out[e.path().string()] = e.is_regular_file() ? read_text(e.path()) : "(folder)";
  return out;
}

// A vendor's CLI tool: a shell script and a few pages of text that compress well.
stdfs::path tool_folder(VendorRepo& v, const std::string& version) {
  const stdfs::path d = v.script_build_folder(version, "echo \"tool " + version + "\"\n");
  for (uint32_t i = 0; i < 6; ++i)
    write_text(d / "share" / ("page" + std::to_string(i) + ".txt"), delta_data::document_text(3000, i, version));
  return d;
}

}  // namespace

TEST_CASE("release --compression and --jobs publish releases that install and run", "[release][integration]") {
  std::map<std::string, uint64_t> bytes;
  for (const std::string preset : {"fast", "max"}) {
    VendorRepo v;
    v.deltas = true;
    v.release(tool_folder(v, "1.0.0"), "1.0.0", "", {"--compression", preset, "--jobs", "3"});
    bytes[preset] = blob_bytes(v);
    Installed app("file://" + v.repo().string(), v.root_json(), "1.0.0");
    RunResult r = run_ok({app.launcher().string()});
    CHECK(r.out == "tool 1.0.0\n");
  }
  CHECK(bytes["fast"] > bytes["max"]);
}

TEST_CASE("release refuses an unknown --compression or --jobs 0 and publishes nothing", "[release][integration]") {
  VendorRepo v;
  const stdfs::path d = tool_folder(v, "1.0.0");
  const auto before = tree_of(v.repo());
  for (const auto& extra : std::vector<std::vector<std::string>>{
           {"--compression", "ultra"}, {"--jobs", "0"}, {"--compression", "max", "--json", "--jobs", "x"}}) {
    RunResult r = run(v.release_argv(d, "1.0.0", extra));
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(tree_of(v.repo()) == before);
  }
  RunResult r = run(v.release_argv(d, "1.0.0", {"--compression", "ultra"}));
  CHECK(contains(r.err, "--compression expects one of fast|default|max, got 'ultra'"));
  r = run(v.release_argv(d, "1.0.0", {"--compression", "ultra", "--json"}));
  const Json j = Json::parse(r.out, "release --json");
  CHECK(j.at("error").get_string("name") == "usage");
}

}  // namespace upkeep::test

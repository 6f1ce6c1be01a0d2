// The delta index: canonical form, strict parse, and the match with files.json.
#include "upkeep/delta/delta_index.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "upkeep/base/json.h"

using namespace upkeep;
using namespace upkeep::delta;
using upkeep::test::error_of;

namespace {

std::string hex(char c) { return std::string(64, c); }

DeltaIndex sample() {
  ContentEntry b{hex('b'), 10, {7, hex('1')}, {{"zstd", hex('a'), {3, hex('2')}}, {"bsdiff", hex('a'), {4, hex('3')}}}};
  ContentEntry a{hex('a'), 5, {5, hex('4')}, {}};
  return DeltaIndex("2.0.0", {b, a});
}

FileManifest manifest_of(const std::string& files_json) {
  return FileManifest::parse(R"({"files":)" + files_json + R"(,"format":1,"version":"2.0.0"})");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("the delta index round-trips in canonical form, entries and patches sorted", "[delta]") {
  DeltaIndex d = sample();
  REQUIRE(d.entries().size() == 2);
  CHECK(d.entries()[0].sha256 == hex('a'));
  CHECK(d.entries()[1].patches[0].algorithm == "bsdiff");  // sorted by (from, algorithm)
  std::string text = d.to_json();
  DeltaIndex back = DeltaIndex::parse(text);
  CHECK(back.to_json() == text);
  CHECK(back.version() == "2.0.0");
  REQUIRE(back.find(hex('b')));
  CHECK(back.find(hex('b'))->blob.length == 7);
  CHECK(back.find(hex('b'))->size == 0);  // not written: files.json has it (check_matches sets it)
  CHECK(back.find(hex('c')) == nullptr);
  CHECK(text.find("\"size\"") == std::string::npos);
  CHECK(text.find('\n') == std::string::npos);  // the delta bundle relies on it (delta_bundle.h)
}

TEST_CASE("the delta index refuses malformed entries naming the entry and the field", "[delta]") {
  const std::string good = sample().to_json();
  auto bad = [&](const std::string& text) { return error_of([&] { DeltaIndex::parse(text); }, ErrorCode::kBadInput); };
  CHECK_THAT(bad(replaced(good, R"("format":2)", R"("format":1)")),
             Catch::Contains("field 'format' is 1, must be 2 (this client reads delta index format 2 only"));
  CHECK_THAT(bad(replaced(good, R"("format":2)", R"("format":"2")")),
             Catch::Contains("'format' must be the integer 2"));
  CHECK_THAT(bad(replaced(good, R"("sha256":")" + hex('a') + R"("})", R"("sha256":"AB"})")),
             Catch::Contains("files[0]: field 'sha256' must be 64 lower-case hex characters"));
  CHECK_THAT(bad(replaced(good, R"("length":7)", R"("length":0)")),
             Catch::Contains("files[1].blob: field 'length' is 0, expected a positive integer"));
  CHECK_THAT(bad(replaced(good, R"("algorithm":"zstd")", R"("algorithm":"../x")")),
             Catch::Contains("patches[1]: field 'algorithm' '../x' must be 1-32 of a-z, 0-9, '-'"));
  CHECK_THAT(bad(replaced(good, R"("sha256":")" + hex('a') + R"("})", R"("sha256":")" + hex('a') + R"(","extra":1})")),
             Catch::Contains("unknown field 'extra'"));
  // Format 1's "size" is no field of format 2.
  CHECK_THAT(bad(replaced(good, R"("sha256":")" + hex('a') + R"("})", R"("sha256":")" + hex('a') + R"(","size":5})")),
             Catch::Contains("unknown field 'size'"));
  CHECK_THAT(
      bad(replaced(good, R"("from":")" + hex('a') + R"(","length":3)", R"("from":")" + hex('b') + R"(","length":3)")),
      Catch::Contains("is the file's own content"));
  // Entries out of order (a tampered or hand-made index).
  DeltaIndex d = sample();
  std::string swapped = R"({"files":[)" + Json::parse(good).get_array("files")[1].dump_canonical() + "," +
                        Json::parse(good).get_array("files")[0].dump_canonical() + R"(],"format":2,"version":"2.0.0"})";
  CHECK_THAT(bad(swapped), Catch::Contains("out of order"));
}

TEST_CASE("an unknown patch algorithm is kept, so a newer publisher's index still parses", "[delta]") {
  std::string text = replaced(sample().to_json(), R"("algorithm":"zstd")", R"("algorithm":"zz-future")");
  DeltaIndex d = DeltaIndex::parse(text);
  CHECK(d.find(hex('b'))->patches[1].algorithm == "zz-future");
}

TEST_CASE("the delta index must list exactly the contents of its files.json, which gives the sizes", "[delta]") {
  DeltaIndex d = DeltaIndex::parse(sample().to_json());
  auto m = manifest_of(R"([{"mode":420,"path":"a","sha256":")" + hex('a') + R"(","size":5},)" +
                       R"({"mode":420,"path":"b","sha256":")" + hex('b') + R"(","size":10},)" +
                       R"({"mode":420,"path":"c","sha256":")" + hex('a') + R"(","size":5}])");
  auto missing = manifest_of(R"([{"mode":420,"path":"a","sha256":")" + hex('c') + R"(","size":5}])");
  CHECK_THAT(error_of([&] { d.check_matches(missing); }, ErrorCode::kVerification),
             Catch::Contains("the delta index of 2.0.0 has no entry for content " + hex('c')));
  auto fewer = manifest_of(R"([{"mode":420,"path":"a","sha256":")" + hex('a') + R"(","size":5}])");
  CHECK_THAT(error_of([&] { d.check_matches(fewer); }, ErrorCode::kVerification),
             Catch::Contains("lists 2 contents, its files.json holds 1"));
  CHECK(d.find(hex('b'))->size == 0);  // a failed check changes nothing
  d.check_matches(m);                  // two paths, one content: one entry
  CHECK(d.find(hex('a'))->size == 5);
  CHECK(d.find(hex('b'))->size == 10);
  auto other_version = FileManifest::parse(R"({"files":[{"mode":420,"path":"a","sha256":")" + hex('a') +
                                           R"(","size":5}],"format":1,"version":"2.0.1"})");
  CHECK_THAT(error_of([&] { d.check_matches(other_version); }, ErrorCode::kVerification),
             Catch::Contains("the delta index lists version 2.0.0, its files.json 2.0.1"));
}

TEST_CASE("blob and patch locations are named by content", "[delta]") {
  CHECK(blob_target_path("demo", hex('a')) == "demo/blobs/" + hex('a') + ".zst");
  CHECK(patch_target_path("demo", hex('a'), hex('b'), "zstd") == "demo/patches/" + hex('a') + "-" + hex('b') + ".zstd");
}

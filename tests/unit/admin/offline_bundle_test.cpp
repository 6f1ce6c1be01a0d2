#include "upkeep/admin/offline_bundle.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/base/json.h"
#include "upkeep/delta/io.h"

using upkeep::ErrorCode;
using upkeep::Json;
using upkeep::admin::BundleFacts;
using upkeep::admin::OfflineBundle;
using upkeep::test::error_of;
using upkeep::test::read_text;
using upkeep::test::TempDir;
using upkeep::test::write_text;
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kTrailer = 40;

BundleFacts facts() {
  BundleFacts f;
  f.app_id = "demo";
  f.version = "1.0.0";
  f.platform = "linux-x86_64";
  f.channel = "stable";
  f.update_url = "http://updates.example/";
  f.created = 1700000000;
  return f;
}

// A small bundle: a stand-in program and a payload of two files.
struct Made {
  TempDir dir;
  stdfs::path file = dir / "demo.bundle";
  Made() {
    write_text(dir / "program", "#!/bin/sh\necho not really upkeep\n");
    write_text(dir / "payload" / "metadata" / "1.root.json", "{}");
    write_text(dir / "payload" / "bin" / "launcher", std::string(5000, 'L'));
    OfflineBundle::assemble(dir / "program", dir / "payload", facts(), file);
  }
  std::string bytes() const { return read_text(file); }
  // The bundle with its trailer's four numbers replaced.
  void set_trailer(uint64_t payload_offset, uint64_t payload_size, uint64_t json_offset, uint64_t json_size) {
    std::string b = bytes();
    std::string t = b.substr(b.size() - kTrailer, 8);
    for (uint64_t v : {payload_offset, payload_size, json_offset, json_size}) upkeep::delta::put_le(t, v, 8);
    write_text(file, b.substr(0, b.size() - kTrailer) + t);
  }
  // The bundle with bundle.json replaced by `json` (the trailer fixed to match).
  void set_json(const std::string& json) {
    std::string b = bytes();
    const auto* t = reinterpret_cast<const unsigned char*>(b.data() + b.size() - kTrailer);
    const uint64_t payload_offset = upkeep::delta::get_le(t + 8, 8), json_offset = upkeep::delta::get_le(t + 24, 8);
    std::string out = b.substr(0, json_offset) + json + std::string("UPKBND01");
    for (uint64_t v : {payload_offset, json_offset - payload_offset, json_offset, uint64_t{json.size()}})
      upkeep::delta::put_le(out, v, 8);
    write_text(file, out);
  }
  Json json() const {
    const std::string b = bytes();
    const auto* t = reinterpret_cast<const unsigned char*>(b.data() + b.size() - kTrailer);
    return Json::parse(b.substr(upkeep::delta::get_le(t + 24, 8), upkeep::delta::get_le(t + 32, 8)));
  }
};

}  // namespace

TEST_CASE("a bundle starts with its program, and opens and extracts to exactly its payload", "[offline_bundle]") {
  Made m;
  const std::string b = m.bytes();
  CHECK(b.rfind("#!/bin/sh\necho not really upkeep\n", 0) == 0);
  CHECK(b.substr(b.size() - kTrailer, 8) == "UPKBND01");
  CHECK(OfflineBundle::is_bundle(m.file));
  CHECK_FALSE(OfflineBundle::is_bundle(m.dir / "program"));
  CHECK((stdfs::status(m.file).permissions() & stdfs::perms::all) == static_cast<stdfs::perms>(0755));

  const auto bundle = OfflineBundle::open(m.file);
  CHECK(bundle.facts().app_id == "demo");
  CHECK(bundle.facts().version == "1.0.0");
  CHECK(bundle.facts().update_url == "http://updates.example/");
  CHECK(bundle.facts().created == 1700000000);
  bundle.extract(m.dir / "out");
  CHECK(read_text(m.dir / "out" / "bin" / "launcher") == std::string(5000, 'L'));
  CHECK(read_text(m.dir / "out" / "metadata" / "1.root.json") == "{}");
  CHECK_FALSE(stdfs::exists(m.dir / "out.zip"));
}

TEST_CASE("a trailer whose ranges do not fit the file is refused as a bad bundle", "[offline_bundle]") {
  Made m;
  const uint64_t size = stdfs::file_size(m.file);
  struct Case {
    const char* name;
    uint64_t po, ps, jo, js;
    const char* error;
  };
  const std::vector<Case> cases{
      {"json past the end", 100, 10, size, 10, "bundle.json range"},
      {"json of zero bytes", 100, 10, size - kTrailer, 0, "bundle.json range"},
      {"json not ending at the trailer", 100, 10, 200, 10, "bundle.json range"},
      {"payload past the json", 100, size, size - kTrailer - 10, 10, "payload range"},
      {"payload offset wrapping around", UINT64_MAX - 5, 10, size - kTrailer - 10, 10, "payload range"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Made fresh;
    fresh.set_trailer(c.po, c.ps, c.jo, c.js);
    const std::string e = error_of([&] { OfflineBundle::open(fresh.file); }, ErrorCode::kBadBundle);
    CHECK_THAT(e, Catch::Contains(c.error));
    CHECK_THAT(e, Catch::Contains(fresh.file.string()));
  }
}

TEST_CASE("bundle.json is read strictly: each wrong field is named", "[offline_bundle]") {
  auto with = [](const std::function<void(Json&)>& change) {
    Made m;
    Json j = m.json();
    change(j);
    m.set_json(j.dump_canonical());
    return error_of([&] { OfflineBundle::open(m.file); }, ErrorCode::kBadBundle);
  };
  CHECK_THAT(with([](Json& j) { j["format"] = int64_t{2}; }), Catch::Contains("format 2"));
  CHECK_THAT(with([](Json& j) { j["version"] = int64_t{1}; }), Catch::Contains("version"));
  CHECK_THAT(with([](Json& j) { j["app_id"] = "../evil"; }), Catch::Contains("../evil"));
  CHECK_THAT(with([](Json& j) { j["payload"] = "none"; }), Catch::Contains("'payload' must be an object"));
  CHECK_THAT(with([](Json& j) { j["payload"]["version"] = "2.0.0"; }), Catch::Contains("of version 2.0.0"));
  CHECK_THAT(with([](Json& j) { j.as_object().erase("created"); }), Catch::Contains("created"));
  // A payload listing with an unsafe path never reaches extraction.
  CHECK_THAT(with([](Json& j) {
               Json f = j.at("payload").get_array("files").front();
               f["path"] = "../../etc/passwd";
               j["payload"]["files"].push_back(f);
             }),
             Catch::Contains("../../etc/passwd"));
  Made m;
  m.set_json("{not json");
  CHECK_THAT(error_of([&] { OfflineBundle::open(m.file); }, ErrorCode::kBadBundle), Catch::Contains("bundle.json"));
}

TEST_CASE("a payload that differs from its listing is a damaged bundle and nothing is extracted", "[offline_bundle]") {
  Made m;
  // The listing says the launcher is one byte shorter than the payload holds.
  Json j = m.json();
  Json files = j.at("payload").get_array("files").front();
  files["size"] = int64_t{4999};
  j["payload"]["files"] = Json::array();
  j["payload"]["files"].push_back(files);
  m.set_json(j.dump_canonical());
  const auto bundle = OfflineBundle::open(m.file);
  const std::string e = error_of([&] { bundle.extract(m.dir / "out"); }, ErrorCode::kBadBundle);
  CHECK_THAT(e, Catch::Contains("damaged"));
  CHECK_FALSE(stdfs::exists(m.dir / "out"));
  CHECK_FALSE(stdfs::exists(m.dir / "out.zip"));
}

TEST_CASE("a missing file is not found, and a short or foreign one is not a bundle", "[offline_bundle]") {
  TempDir d;
  CHECK_THAT(error_of([&] { OfflineBundle::open(d / "none"); }, ErrorCode::kNotFound), Catch::Contains("no such file"));
  write_text(d / "short", "tiny");
  CHECK_THAT(error_of([&] { OfflineBundle::open(d / "short"); }, ErrorCode::kBadBundle), Catch::Contains("too short"));
  write_text(d / "text", std::string(100, 'x'));
  CHECK_THAT(error_of([&] { OfflineBundle::open(d / "text"); }, ErrorCode::kBadBundle),
             Catch::Contains("not an upkeep bundle"));
  CHECK_FALSE(OfflineBundle::is_bundle(d / "none"));
  CHECK_FALSE(OfflineBundle::is_bundle(d / "short"));
}

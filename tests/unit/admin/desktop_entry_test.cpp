// Desktop entries, checked by the real desktop-file-validate.
#include "upkeep/admin/desktop_entry.h"

#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"

using namespace upkeep::test;
using upkeep::ErrorCode;
namespace admin = upkeep::admin;
using upkeep::Json;

namespace {

RunResult validate(const std::string& text) {
  TempDir dir;
  write_text(dir / "demo.desktop", text);
  return run({"/usr/bin/desktop-file-validate", (dir / "demo.desktop").string()});
}

Json metadata(const std::string& text) { return Json::parse(text, "test"); }

}  // namespace

TEST_CASE("a desktop entry with defaults is valid", "[desktop_entry]") {
  const admin::DesktopEntry e = admin::DesktopEntry::from_metadata(Json(nullptr), "demo", "/opt/demo/demo");
  const std::string text = e.render();
  CHECK(text ==
        "[Desktop Entry]\nType=Application\nVersion=1.4\nName=demo\nExec=\"/opt/demo/demo\"\n"
        "Terminal=false\nCategories=Utility;\n");
  RunResult r = validate(text);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
}

TEST_CASE("Exec quotes and escapes any launcher path, and the entry stays valid", "[desktop_entry]") {
  const std::string path = GENERATE(std::string("/home/ann/My Apps/demo"), std::string("/tmp/a\"b/$HOME/`x`/demo"),
                                    std::string("/tmp/back\\slash/100%/demo"), std::string(" /lead/space"));
  const admin::DesktopEntry e = admin::DesktopEntry::from_metadata(
      metadata(R"({"name": " Spaced name\\ ", "categories": ["Office"]})"), "demo", path);
  const std::string text = e.render();
  INFO(text);
  RunResult r = validate(text);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  // What a launcher would run: unescape the string value, then unquote the argument.
  const size_t at = text.find("Exec=") + 5;
  std::string value = text.substr(at, text.find('\n', at) - at);
  std::string unescaped;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      const char n = value[++i];
      unescaped += n == 's' ? ' ' : n;
    } else {
      unescaped += value[i];
    }
  }
  REQUIRE(unescaped.front() == '"');
  REQUIRE(unescaped.back() == '"');
  std::string arg;
  for (size_t i = 1; i + 1 < unescaped.size(); ++i) {
    if (unescaped[i] == '\\')
      ++i;
    else if (unescaped[i] == '%')
      ++i;  // %% is one %
    arg += unescaped[i];
  }
  CHECK(arg == path);
}

TEST_CASE("a launcher path with a line break is refused", "[desktop_entry]") {
  const admin::DesktopEntry e = admin::DesktopEntry::from_metadata(Json(nullptr), "demo", "/tmp/a\nb");
  CHECK(error_of([&] { e.render(); }, ErrorCode::kBadInput).find("line break") != std::string::npos);
}

TEST_CASE("bad desktop metadata is refused naming the key", "[desktop_entry]") {
  struct Case {
    const char* json;
    const char* expect;
  };
  for (const Case& c :
       {Case{R"([1])", "expected an object"}, Case{R"({"nmae": "x"})", "unknown key 'nmae'"},
        Case{R"({"name": 3})", "'name' must be a string"}, Case{R"({"name": ""})", "'name' is empty"},
        Case{R"({"name": "a\u0007b"})", "control character"}, Case{R"({"categories": "Utility"})", "array of strings"},
        Case{R"({"categories": [1]})", "array of strings"},
        Case{R"({"categories": ["Fun Stuff"]})", "not a plain word"},
        Case{R"({"categories": ["Amusement"]})", "main category"},
        Case{R"({"icon": "/etc/passwd"})", "inside the release"}, Case{R"({"icon": "share/../../x.png"})", "'..'"}}) {
    INFO(c.json);
    const std::string msg =
        error_of([&] { admin::DesktopEntry::from_metadata(metadata(c.json), "demo", "/x"); }, ErrorCode::kBadInput);
    CHECK(msg.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("icon_kind knows square PNGs of theme sizes and SVGs", "[desktop_entry]") {
  TempDir dir;
  auto png = [&](uint32_t w, uint32_t h) {
    auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
    std::string s = std::string("\x89PNG\r\n\x1a\n", 8) + be32(13) + "IHDR" + be32(w) + be32(h) + std::string(9, '\0');
    write_text(dir / "i.png", s);
    return dir / "i.png";
  };
  CHECK(upkeep::admin::icon_kind(png(48, 48)).size_dir == "48x48");
  CHECK(upkeep::admin::icon_kind(png(256, 256)).extension == ".png");
  CHECK(error_of([&] { upkeep::admin::icon_kind(png(48, 32)); }, ErrorCode::kBadInput).find("48x32") !=
        std::string::npos);
  CHECK(error_of([&] { upkeep::admin::icon_kind(png(50, 50)); }, ErrorCode::kBadInput).find("square one of") !=
        std::string::npos);
  write_text(dir / "i.svg", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  CHECK(upkeep::admin::icon_kind(dir / "i.svg").size_dir == "scalable");
  write_text(dir / "i.txt", "hello");
  CHECK(error_of([&] { upkeep::admin::icon_kind(dir / "i.txt"); }, ErrorCode::kBadInput).find("neither") !=
        std::string::npos);
}

#include "upkeep/watch/path_filter.h"

#include <catch2/catch.hpp>
#include <string>

#include "upkeep/base/error.h"

using upkeep::Error;
using upkeep::ErrorCode;
using upkeep::watch::Glob;
using upkeep::watch::PathFilter;

TEST_CASE("Glob: * stays in one folder, ** crosses folders, **/ may be empty", "[watch][path_filter]") {
  CHECK(Glob("*.so").matches("libx.so"));
  CHECK_FALSE(Glob("*.so").matches("lib/libx.so"));
  CHECK(Glob("lib/*.so").matches("lib/libx.so"));
  CHECK_FALSE(Glob("lib/*.so").matches("lib/sub/libx.so"));
  CHECK(Glob("**/*.so").matches("libx.so"));
  CHECK(Glob("**/*.so").matches("lib/sub/libx.so"));
  CHECK_FALSE(Glob("**/*.so").matches("lib/libx.so.1"));
  CHECK(Glob("obj/**").matches("obj/a/b/c.o"));
  CHECK(Glob("obj/**").matches("obj/"));
  CHECK_FALSE(Glob("obj/**").matches("objects/a.o"));
  CHECK(Glob("a/**/z").matches("a/z"));
  CHECK(Glob("a/**/z").matches("a/b/c/z"));
  CHECK_FALSE(Glob("a/**/z").matches("a/bz"));
  CHECK(Glob("a**z").matches("a/b/z"));
  CHECK(Glob("*").matches("anything"));
  CHECK_FALSE(Glob("*").matches("a/b"));
  CHECK(Glob("**").matches("a/b"));
}

TEST_CASE("Glob: ?, character classes, ranges, negation and escapes", "[watch][path_filter]") {
  CHECK(Glob("v?.txt").matches("v1.txt"));
  CHECK_FALSE(Glob("v?.txt").matches("v12.txt"));
  CHECK_FALSE(Glob("a?b").matches("a/b"));  // ? never matches '/'
  CHECK(Glob("[abc].o").matches("b.o"));
  CHECK_FALSE(Glob("[abc].o").matches("d.o"));
  CHECK(Glob("file[0-9]").matches("file7"));
  CHECK_FALSE(Glob("file[0-9]").matches("filex"));
  CHECK(Glob("file[!0-9]").matches("filex"));
  CHECK(Glob("file[^0-9]").matches("filex"));
  CHECK_FALSE(Glob("file[!0-9]").matches("file3"));
  CHECK(Glob("[]]x").matches("]x"));
  CHECK(Glob("a\\*b").matches("a*b"));
  CHECK_FALSE(Glob("a\\*b").matches("axb"));
  CHECK_FALSE(Glob("abc").matches("ab"));
  CHECK_FALSE(Glob("ab").matches("abc"));
}

TEST_CASE("Glob: many stars match in time proportional to pattern times path", "[watch][path_filter]") {
  const std::string path(4000, 'a');
  CHECK_FALSE(Glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b").matches(path));
  CHECK(Glob("**a**a**a**a**a**a**a**a").matches(path));
}

TEST_CASE("Glob: a bad pattern is a usage error naming it", "[watch][path_filter]") {
  auto code_of = [](const std::string& p) {
    try {
      Glob g(p);
    } catch (const Error& e) {
      CHECK(std::string(e.what()).find(p.empty() ? "empty" : p) != std::string::npos);
      return e.code();
    }
    return ErrorCode::kOk;
  };
  CHECK(code_of("") == ErrorCode::kUsage);
  CHECK(code_of("/abs/*.o") == ErrorCode::kUsage);
  CHECK(code_of("file[abc") == ErrorCode::kUsage);
  CHECK(code_of("file[z-a]") == ErrorCode::kUsage);
}

TEST_CASE("PathFilter: default includes everything, exclude wins over include", "[watch][path_filter]") {
  PathFilter all;
  CHECK(all.counts("a/b/c"));
  CHECK(all.counts_folder("a"));

  PathFilter f({"bin/**", "**/*.so"}, {"**/*.tmp", "bin/cache/**"});
  CHECK(f.counts("bin/app"));
  CHECK(f.counts("lib/x/libz.so"));
  CHECK_FALSE(f.counts("share/readme.txt"));  // not included
  CHECK_FALSE(f.counts("bin/app.tmp"));       // included and excluded: exclude wins
  CHECK_FALSE(f.counts("bin/cache/index"));
  CHECK_FALSE(f.counts_folder("bin/cache"));  // everything below it is excluded
  CHECK(f.counts_folder("bin/plugins"));
  CHECK(f.counts_folder("share"));  // a removed folder may have held an included file
}

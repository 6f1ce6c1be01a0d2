// Safe encodings of role names and target paths (tuf/role_names.h).
#include "upkeep/tuf/role_names.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "expect_error.h"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("safe names: role names and target paths neither escape a folder nor collide", "[tuf_delegation]") {
  CHECK(tuf::role_url_name("?") == "%3F");
  CHECK(tuf::role_url_name("#") == "%23");
  CHECK(tuf::role_url_name("/x") == "%2Fx");
  CHECK(tuf::role_url_name("../x") == "..%2Fx");
  CHECK(tuf::role_url_name("a b\\c%") == "a%20b%5Cc%25");
  CHECK(tuf::role_file_name("?") == "%3F.json");
  CHECK(tuf::role_file_name("#") == "%23.json");
  CHECK(tuf::role_file_name("/x") == "%2Fx.json");
  CHECK(tuf::role_file_name("../x") == "%2E.%2Fx.json");
  CHECK(tuf::role_file_name("targets") == "targets.json");
  CHECK(tuf::safe_file_name("dir/file.txt") == "dir%2Ffile.txt");

  const std::vector<std::string> names = {"?",   "#",  "/x",   "../x", "x",  "%3F",    "%2Fx", ".", "..",
                                          "...", ".x", "%2Ex", "\\x",  "x/", "a/../b", "~",    "é"};
  std::set<std::string> files;
  for (const auto& n : names) {
    INFO("name " << n);
    std::string file = tuf::safe_file_name(n);
    CHECK(file.find('/') == std::string::npos);
    CHECK(file.find('\\') == std::string::npos);
    CHECK(file[0] != '.');
    CHECK(files.insert(file).second);
  }
  CHECK(error_of([] { tuf::safe_file_name(""); }, ErrorCode::kVerification).find("empty") != std::string::npos);
  CHECK(error_of([] { tuf::safe_file_name(std::string(100, '/')); }, ErrorCode::kVerification).find("too long") !=
        std::string::npos);
}

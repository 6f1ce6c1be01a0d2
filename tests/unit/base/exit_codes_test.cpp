#include "upkeep/base/exit_codes.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

using namespace upkeep;

namespace {

struct Row {
  int code;
  std::string name;  // "" when the README's table has no name column
  std::string meaning;
};

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" `"));
  s.erase(s.find_last_not_of(" `") + 1);
  return s;
}

// The rows of README.md's "## Exit codes" table: "| code | meaning |" or "| code | name | meaning |".
std::vector<Row> readme_rows() {
  std::ifstream in(std::string(UPKEEP_SOURCE_DIR) + "/README.md");
  REQUIRE(in);
  std::vector<Row> rows;
  bool in_section = false, named = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) {
      if (in_section && !rows.empty()) break;
      in_section = line == "## Exit codes";
      continue;
    }
    if (!in_section || line.rfind("|", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream parts(line.substr(1));
    for (std::string cell; std::getline(parts, cell, '|');) cells.push_back(trim(cell));
    if (cells.size() < 2 || cells[0].rfind("---", 0) == 0) continue;
    if (cells[0] == "code") {
      named = cells.size() >= 3 && cells[1] == "name";
      continue;
    }
    rows.push_back({std::stoi(cells[0]), named ? cells[1] : "", named ? cells[2] : cells[1]});
  }
  return rows;
}

}  // namespace

TEST_CASE("the exit-code table lists every code once, with a unique snake_case name", "[exit_codes]") {
  std::set<std::string> names;
  int expected = 0;
  for (const auto& e : exit_codes()) {
    CHECK(static_cast<int>(e.code) == expected++);
    CHECK(std::regex_match(std::string(e.name), std::regex("[a-z][a-z_]*")));
    CHECK(names.insert(std::string(e.name)).second);
    CHECK_FALSE(e.meaning.empty());
  }
  CHECK(exit_code_info(ErrorCode::kPermission).name == "permission");
  CHECK(exit_code_info(static_cast<ErrorCode>(99)).name == "failure");
}

TEST_CASE("README.md's exit-code table is the code's table", "[exit_codes]") {
  const auto rows = readme_rows();
  REQUIRE(rows.size() == exit_codes().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& e = exit_codes()[i];
    INFO("README row " << i);
    CHECK(rows[i].code == static_cast<int>(e.code));
    CHECK(rows[i].meaning == e.meaning);
    if (!rows[i].name.empty()) CHECK(rows[i].name == e.name);
  }
}

TEST_CASE("the Markdown table is what README.md shows", "[exit_codes]") {
  const std::string md = exit_codes_markdown();
  CHECK(md.rfind("| code | name | meaning |\n|---|---|---|\n| 0 | `ok` | success", 0) == 0);
  CHECK(md.find("| 14 | `permission` | permission denied") != std::string::npos);
}

TEST_CASE("error_json is the one failure object", "[exit_codes]") {
  const Json j = error_json(ErrorCode::kVerification, "timestamp.json: expired");
  CHECK(j.dump(0) == R"({"error":{"code":5,"message":"timestamp.json: expired","name":"verification"}})");
}

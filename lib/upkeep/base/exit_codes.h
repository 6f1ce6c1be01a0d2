// The exit-code table: every ErrorCode's stable name and meaning, stated once.
//
// `upkeep exit-codes` prints it (as text, --json or --markdown, the README's
// table), `upkeep --help` points at it, the JSON error object of every
// program names its code with it, and tests/unit/base/exit_codes_test.cpp
// fails when README.md's "Exit codes" table differs. Names and codes never
// change once published; new codes are added at the end. Thread-safe:
// constant data.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "upkeep/base/error.h"
#include "upkeep/base/json.h"

namespace upkeep {

struct ExitCodeInfo {
  ErrorCode code;
  std::string_view name;     // stable, snake_case: "usage", "verification", "permission"
  std::string_view meaning;  // README's wording
};

// Every code, in order of value.
std::span<const ExitCodeInfo> exit_codes();
// The entry of `code` (an unknown value: the entry of kFailure).
const ExitCodeInfo& exit_code_info(ErrorCode code);

// The table as README.md's Markdown ("| code | name | meaning |").
std::string exit_codes_markdown();
// The table as aligned text for a terminal.
std::string exit_codes_text();
// [{"code", "name", "meaning"}, ...]
Json exit_codes_json();

// The one JSON shape of a failure, on stdout of every command run with --json:
// {"error": {"code": N, "name": "...", "message": "..."}}.
Json error_json(ErrorCode code, const std::string& message);

}  // namespace upkeep

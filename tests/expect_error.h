// What a call throws, for tests of error paths.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <utility>

#include "upkeep/base/error.h"

namespace upkeep::test {

// Runs `f`, which must throw upkeep::Error with `code`; returns the message.
template <class F>
std::string error_of(F&& f, ErrorCode code) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(static_cast<int>(e.code()) == static_cast<int>(code));
    return e.what();
  }
  FAIL("expected an upkeep::Error");
  return {};
}

// Runs `f`, which must throw upkeep::Error; returns its code and message.
template <class F>
std::pair<ErrorCode, std::string> error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  FAIL("expected an upkeep::Error");
  return {ErrorCode::kOk, ""};
}

}  // namespace upkeep::test

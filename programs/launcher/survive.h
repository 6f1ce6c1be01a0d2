// survive(): runs a step of the launcher's slow path whose failure must not
// stop the launch. The failure is logged (the console sink prints it on
// stderr) and the launcher goes on to start what is installed; the step's
// own journal row or pending marker makes the next start try again.
// Returns false when the step failed.
#pragma once

#include <spdlog/spdlog.h>

#include <exception>
#include <functional>
#include <string>

namespace upkeep {

inline bool survive(const std::string& what, const std::function<void()>& step) {
  try {
    step();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", what, e.what());
    return false;
  }
}

}  // namespace upkeep

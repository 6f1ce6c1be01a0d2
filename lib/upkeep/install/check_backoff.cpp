#include "upkeep/install/check_backoff.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace upkeep {
namespace {

constexpr const char* kFailures = "check_failures";
constexpr const char* kNotBefore = "check_not_before";

}  // namespace

int64_t CheckBackoff::meta_int(const char* key) const {
  auto v = store_.meta(key);
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

int64_t CheckBackoff::remaining_seconds() const {
  return std::max<int64_t>(0, meta_int(kNotBefore) - static_cast<int64_t>(clock_.unix_now()));
}

int64_t CheckBackoff::failures() const { return meta_int(kFailures); }

int64_t CheckBackoff::failed(double jitter) {
  const int64_t n = failures() + 1;
  int64_t step = kBaseSeconds;
  for (int64_t i = 1; i < n && step < kCapSeconds; ++i) step *= 2;
  step = std::min(step, kCapSeconds);
  const int64_t hold = step / 2 + static_cast<int64_t>(static_cast<double>(step / 2) * std::clamp(jitter, 0.0, 1.0));
  store_.transaction([&] {
    store_.set_meta(kFailures, std::to_string(n));
    store_.set_meta(kNotBefore, std::to_string(static_cast<int64_t>(clock_.unix_now()) + hold));
  });
  return hold;
}

void CheckBackoff::succeeded() {
  if (failures() == 0 && remaining_seconds() == 0) return;  // nothing to reset: no write
  store_.transaction([&] {
    store_.set_meta(kFailures, "0");
    store_.set_meta(kNotBefore, "0");
  });
}

std::string CheckBackoff::describe() const {
  const int64_t left = remaining_seconds();
  if (left == 0) return "";
  return "the last " + std::to_string(failures()) + " update check(s) failed; the next automatic check waits " +
         std::to_string((left + 59) / 60) + " min";
}

CheckBackoff::Hold CheckBackoff::read(const std::filesystem::path& state_db, const Clock& clock) {
  std::error_code ec;
  if (!std::filesystem::exists(state_db, ec)) return {};
  try {
    StateStore store(state_db, StateStore::Mode::kReadOnly);
    CheckBackoff backoff(store, clock);
    return {backoff.remaining_seconds(), backoff.describe()};
  } catch (const std::exception& e) {
    spdlog::debug("no backoff read from {}: {}", state_db.string(), e.what());
    return {};  // a damaged database is someone else's to report; the check runs
  }
}

}  // namespace upkeep

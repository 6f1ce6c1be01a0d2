#include "upkeep/update/rollout.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>

#include "expect_error.h"
#include "test_support.h"
#include "upkeep/install/state_store.h"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("rollout buckets of 10,000 simulated installs spread evenly over the deciles", "[rollout]") {
  constexpr int kInstalls = 10000;
  std::random_device source;
  std::array<int, 10> deciles{};
  uint32_t lowest = Rollout::kBucketCount, highest = 0;
  for (int i = 0; i < kInstalls; ++i) {
    uint32_t b = Rollout::draw(source);
    REQUIRE(b < Rollout::kBucketCount);
    ++deciles[b / (Rollout::kBucketCount / 10)];
    lowest = std::min(lowest, b);
    highest = std::max(highest, b);
  }
  // Chi-squared with 9 degrees of freedom: P(X > 45) is about 1e-6, so a fair
  // draw passes; a draw stuck in part of the range scores in the thousands.
  double chi2 = 0;
  const double expected = kInstalls / 10.0;
  for (int count : deciles) chi2 += (count - expected) * (count - expected) / expected;
  INFO("deciles: " << deciles[0] << " " << deciles[1] << " " << deciles[2] << " " << deciles[3] << " " << deciles[4]
                   << " " << deciles[5] << " " << deciles[6] << " " << deciles[7] << " " << deciles[8] << " "
                   << deciles[9]);
  CHECK(chi2 < 45.0);
  CHECK(lowest < 50);
  CHECK(highest > Rollout::kBucketCount - 50);
}

TEST_CASE("a bucket is admitted when it is below the rollout's share of the range", "[rollout]") {
  CHECK_FALSE(Rollout::admits(0, 0));
  CHECK(Rollout::admits(Rollout::kBucketCount - 1, 100));
  CHECK(Rollout::admits(99, 1));
  CHECK_FALSE(Rollout::admits(100, 1));
  CHECK(Rollout::admits(4999, 50));
  CHECK_FALSE(Rollout::admits(5000, 50));
  CHECK_FALSE(Rollout::admits(0, -5));
  CHECK(Rollout::admits(9999, 150));
  // Over every bucket, P percent of them are admitted.
  for (int percent : {0, 1, 10, 33, 50, 99, 100}) {
    uint32_t admitted = 0;
    for (uint32_t b = 0; b < Rollout::kBucketCount; ++b) admitted += Rollout::admits(b, percent);
    CHECK(admitted == static_cast<uint32_t>(percent) * Rollout::kBucketCount / 100);
  }
}

TEST_CASE("an installation draws its bucket once and keeps it in state.db", "[rollout]") {
  TempDir tmp;
  uint32_t first = 0;
  {
    StateStore store(tmp / "state.db");
    CHECK_FALSE(store.meta(Rollout::kMetaKey));
    first = Rollout::bucket_of(store);
    CHECK(store.meta(Rollout::kMetaKey) == std::to_string(first));
  }
  for (int i = 0; i < 5; ++i) {
    StateStore store(tmp / "state.db");
    CHECK(Rollout::bucket_of(store) == first);
  }
  StateStore store(tmp / "state.db");
  store.set_meta(Rollout::kMetaKey, "12000");
  auto message = error_of([&] { Rollout::bucket_of(store); }, ErrorCode::kBadInput);
  CHECK(message.find("rollout_bucket") != std::string::npos);
}

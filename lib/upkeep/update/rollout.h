// Rollout: the client side of a staged rollout. A release's package target
// carries custom.rollout, the percentage (0-100) of installations it is
// offered to. Each installation draws one bucket, uniform over
// 0..kBucketCount-1 from std::random_device, the first time it needs one,
// and keeps it in state.db (meta "rollout_bucket"); it is never sent
// anywhere. A release is offered to a background check only when
// bucket < percent * kBucketCount / 100; critical releases and manual
// (user-initiated) checks ignore the rollout (release_selector.h).
//
// draw() and admits() are thread-safe. bucket_of() uses the caller's
// StateStore (one per thread): after it returns, the bucket is durable and
// every later call, from any process, returns the same one; after it throws
// nothing was stored.
#pragma once

#include <cstdint>
#include <random>

namespace upkeep {

class StateStore;

class Rollout {
 public:
  static constexpr uint32_t kBucketCount = 10000;
  static constexpr const char* kMetaKey = "rollout_bucket";

  // One uniform bucket in [0, kBucketCount) from `source`.
  static uint32_t draw(std::random_device& source);
  // True when an installation in `bucket` is among the first `percent` percent.
  static bool admits(uint32_t bucket, int64_t percent);
  // The installation's bucket: the stored one, else a new draw stored now.
  static uint32_t bucket_of(StateStore& store);
};

}  // namespace upkeep

#include "upkeep/update/rollout.h"

#include <charconv>
#include <string>

#include "upkeep/base/error.h"
#include "upkeep/install/state_store.h"

namespace upkeep {

uint32_t Rollout::draw(std::random_device& source) {
  std::uniform_int_distribution<uint32_t> uniform(0, kBucketCount - 1);
  return uniform(source);
}

bool Rollout::admits(uint32_t bucket, int64_t percent) {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return bucket < static_cast<uint64_t>(percent) * (kBucketCount / 100);
}

uint32_t Rollout::bucket_of(StateStore& store) {
  uint32_t bucket = 0;
  // One IMMEDIATE transaction: two processes drawing at once keep one bucket.
  store.transaction([&] {
    if (auto text = store.meta(kMetaKey)) {
      auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), bucket);
      if (ec == std::errc() && p == text->data() + text->size() && bucket < kBucketCount) return;
      fail(ErrorCode::kBadInput, std::string("state database: meta '") + kMetaKey + "' is '" + *text +
                                     "', expected a number from 0 to " + std::to_string(kBucketCount - 1));
    }
    std::random_device source;
    bucket = draw(source);
    store.set_meta(kMetaKey, std::to_string(bucket));
  });
  return bucket;
}

}  // namespace upkeep

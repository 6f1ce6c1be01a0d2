// snapshot.json as served (tests/fuzz/tuf/role_fuzzing.h).
#include "tuf/role_fuzzing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return upkeep::fuzz::parse_role<upkeep::tuf::SnapshotMetadata>(data, size, "snapshot.json");
}

// root.json as served: the envelope, the root role's fields and keys, and the
// signature check against the keys the file itself lists (what a client does
// with a new root: hostile key values and signatures reach the verifier).
#include "fuzz_support.h"
#include "upkeep/tuf/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upkeep::tuf;
  upkeep::fuzz::quiet();
  upkeep::fuzz::accepts([&] {
    const Envelope env = Envelope::parse(upkeep::fuzz::as_text(data, size), "root.json");
    const RootMetadata root = RootMetadata::parse(env.signed_json);
    upkeep::fuzz::must_accept([&] { RootMetadata::parse(root.to_json()); });
    for (const char* role : {kRootRole, kTimestampRole, kSnapshotRole, kTargetsRole})
      count_valid_signatures(env, root.keys, root.role(role));
    verify_threshold(env, root.keys, root.role(kRootRole), "root.json");
  });
  return 0;
}

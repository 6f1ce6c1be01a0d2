// One top-level TUF role's file as served (tests/fuzz/tuf/*_metadata_fuzzer.cpp):
// the envelope and the role's fields; what parses prints (to_json) as
// something that parses again, since the publisher signs what it prints.
#pragma once

#include "fuzz_support.h"
#include "upkeep/tuf/metadata.h"

namespace upkeep::fuzz {

template <typename Role>
int parse_role(const uint8_t* data, size_t size, const char* file) {
  quiet();
  accepts([&] {
    const tuf::Envelope env = tuf::Envelope::parse(as_text(data, size), file);
    const Role role = Role::parse(env.signed_json, file);
    must_accept([&] { Role::parse(role.to_json(), file); });
  });
  return 0;
}

}  // namespace upkeep::fuzz

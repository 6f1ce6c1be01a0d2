// A delegating targets role as served (targets.json or a delegated role's
// file): its delegations (keys, roles, paths, hash prefixes, succinct roles)
// and the search for the roles trusted with a target path, for the paths it
// lists and a few fixed ones.
#include "fuzz_support.h"
#include "upkeep/tuf/delegation.h"
#include "upkeep/tuf/metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace upkeep::tuf;
  upkeep::fuzz::quiet();
  upkeep::fuzz::accepts([&] {
    const Envelope env = Envelope::parse(upkeep::fuzz::as_text(data, size), "role.json");
    const TargetsMetadata m = TargetsMetadata::parse(env.signed_json, "role.json");
    if (!m.delegations) return;
    const Delegations& d = *m.delegations;
    upkeep::fuzz::must_accept([&] { Delegations::parse(d.to_json()); });
    std::vector<std::string> paths{"", "a", "demo/linux-x86_64/1.0.0.zip", "a/b/c", "*"};
    for (const auto& [path, target] : m.targets) paths.push_back(path);
    for (const DelegatedRole& r : d.roles) {
      if (r.paths)
        for (const std::string& p : *r.paths) paths.push_back(p);
    }
    for (const std::string& p : paths) {
      for (const Delegations::Match& match : d.roles_for_target(p)) count_valid_signatures(env, d.keys, *match.keys);
      if (d.succinct_roles) d.succinct_roles->is_delegated_role(d.succinct_roles->role_for_target(p));
    }
  });
  return 0;
}

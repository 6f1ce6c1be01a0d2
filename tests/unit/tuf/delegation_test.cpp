// The delegations model (tuf/delegation.h): parsing and serialising
// "delegations", PATHPATTERN matching and succinct hash bin names.
#include "upkeep/tuf/delegation.h"

#include <catch2/catch.hpp>
#include <cstdio>

#include "expect_error.h"
#include "succinct_bins.h"
#include "upkeep/base/hash.h"
#include "upkeep/tuf/keys.h"
#include "upkeep/tuf/metadata.h"

using namespace upkeep;
using namespace upkeep::test;

TEST_CASE("delegations model: parse and serialise", "[tuf_delegation]") {
  auto key = tuf::PrivateKey::generate_ed25519();
  const std::string id = key->key_id();
  Json keys = Json::object();
  keys[id] = key->public_key().to_json();
  auto parse = [&](const std::string& rest) {
    return tuf::Delegations::parse(Json::parse("{\"keys\": " + keys.dump(0) + ", " + rest + "}"));
  };
  SECTION("roles round-trip in order") {
    auto d = parse("\"roles\": [{\"name\": \"b\", \"keyids\": [\"" + id +
                   "\"], \"threshold\": 1, \"terminating\": true, \"paths\": [\"x/*\"]},"
                   "{\"name\": \"a\", \"keyids\": [], \"threshold\": 2, \"terminating\": false, "
                   "\"path_hash_prefixes\": [\"ab\"]}]");
    REQUIRE(d.roles.size() == 2);
    CHECK(d.roles[0].name == "b");
    CHECK(d.roles[0].terminating);
    CHECK(*d.roles[0].paths == std::vector<std::string>{"x/*"});
    CHECK_FALSE(d.roles[1].paths);
    CHECK(*d.roles[1].path_hash_prefixes == std::vector<std::string>{"ab"});
    CHECK(d.roles[1].keys.threshold == 2);
    CHECK(tuf::Delegations::parse(d.to_json()).to_json() == d.to_json());
    CHECK(d.to_json().at("roles").as_array()[0].at("name").as_string() == "b");
  }
  SECTION("succinct roles round-trip") {
    auto d = parse("\"succinct_roles\": {\"keyids\": [\"" + id +
                   "\"], \"threshold\": 1, \"bit_length\": 8, \"name_prefix\": \"bin\"}");
    REQUIRE(d.succinct_roles);
    CHECK(d.succinct_roles->bin_count() == 256);
    CHECK(tuf::Delegations::parse(d.to_json()).to_json() == d.to_json());
  }
  SECTION("a targets role carries them through its own parse and serialise") {
    tuf::TargetsMetadata m;
    m.expires = 2000000000;
    m.delegations = parse("\"roles\": []");
    auto back = tuf::TargetsMetadata::parse(m.to_json());
    REQUIRE(back.delegations);
    CHECK(back.delegations->roles.empty());
    CHECK_FALSE(tuf::TargetsMetadata::parse(tuf::TargetsMetadata{}.to_json()).delegations);
  }
  SECTION("strict") {
    auto bad = [&](const std::string& rest) { return error_of([&] { parse(rest); }, ErrorCode::kBadInput); };
    const std::string role = "\"keyids\": [], \"threshold\": 1, \"terminating\": false";
    CHECK(bad("\"roles\": [{\"name\": \"a\", " + role + ", \"paths\": [], \"path_hash_prefixes\": []}]") ==
          "delegations: roles[0]: role 'a' lists both 'paths' and 'path_hash_prefixes' (expected one of them)");
    CHECK(bad("\"roles\": [{\"name\": \"targets\", " + role + "}]") ==
          "delegations: roles[0]: role name 'targets' is reserved for a top-level role");
    CHECK(bad("\"roles\": [{\"name\": \"\", " + role + "}]") ==
          "delegations: roles[0]: field 'name' must not be empty");
    CHECK(bad("\"roles\": [{\"name\": \"a\", " + role + "}, {\"name\": \"a\", " + role + "}]") ==
          "delegations: roles[1]: role 'a' is listed twice");
    CHECK(bad("\"roles\": [{\"name\": \"a\", \"keyids\": [], \"threshold\": 0, \"terminating\": false}]") ==
          "delegations: roles[0]: field 'threshold' must be at least 1, found 0");
    CHECK(bad("\"roles\": [{\"name\": \"a\", " + role + ", \"path_hash_prefixes\": [\"xyz\"]}]") ==
          "delegations: roles[0]: path_hash_prefixes: 'xyz' is not hex digits");
    CHECK(bad("\"roles\": [], \"succinct_roles\": {}") ==
          "delegations: expected exactly one of 'roles' and 'succinct_roles'");
    CHECK(bad("\"succinct_roles\": {\"keyids\": [], \"threshold\": 1, \"bit_length\": 33, \"name_prefix\": \"b\"}") ==
          "delegations: succinct_roles: field 'bit_length' must be from 1 to 32, found 33");
  }
}

TEST_CASE("path patterns: shell-style, wildcards never cross '/'", "[tuf_delegation]") {
  using tuf::path_pattern_matches;
  // The specification's examples.
  CHECK(path_pattern_matches("targets/*.tgz", "targets/foo.tgz"));
  CHECK_FALSE(path_pattern_matches("targets/*.tgz", "targets/foo.txt"));
  CHECK(path_pattern_matches("foo-version-?.tgz", "foo-version-2.tgz"));
  CHECK(path_pattern_matches("foo-version-?.tgz", "foo-version-a.tgz"));
  CHECK_FALSE(path_pattern_matches("foo-version-?.tgz", "foo-version-alpha.tgz"));
  CHECK(path_pattern_matches("*.tgz", "foo.tgz"));
  CHECK_FALSE(path_pattern_matches("*.tgz", "targets/foo.tgz"));
  CHECK(path_pattern_matches("foo.tgz", "foo.tgz"));
  CHECK_FALSE(path_pattern_matches("foo.tgz", "bar.tgz"));
  // More.
  CHECK(path_pattern_matches("*", "anything"));
  CHECK_FALSE(path_pattern_matches("*", "a/b"));
  CHECK(path_pattern_matches("*/*", "a/b"));
  CHECK(path_pattern_matches("releases/*/*", "releases/x/x_v1"));
  CHECK(path_pattern_matches("a*b*c", "aXXbYYbc"));
  CHECK_FALSE(path_pattern_matches("a*b*c", "aXXbYYbcd"));
  CHECK(path_pattern_matches("[a-c]x", "bx"));
  CHECK_FALSE(path_pattern_matches("[a-c]x", "dx"));
  CHECK(path_pattern_matches("[!a-c]x", "dx"));
  CHECK_FALSE(path_pattern_matches("[!a-c]x", "ax"));
  CHECK(path_pattern_matches("[x", "[x"));  // no closing ']': a literal
  CHECK_FALSE(path_pattern_matches("?", ""));
  CHECK(path_pattern_matches("", ""));
}

TEST_CASE("succinct hash bins: the first bit_length bits of SHA-256(path), zero-padded hex", "[tuf_delegation]") {
  for (int bits : {1, 4, 5, 8, 13, 32}) {
    tuf::SuccinctRoles s;
    s.bit_length = bits;
    s.name_prefix = "bins";
    for (std::string path : {"a", "dir/file.tgz", "x/y/z"}) {
      INFO("bits " << bits << " path " << path);
      CHECK(s.role_for_target(path) == expected_bin("bins", path, bits));
      CHECK(s.is_delegated_role(s.role_for_target(path)));
    }
  }
  tuf::SuccinctRoles s;
  s.bit_length = 5;  // bins-00 .. bins-1f
  s.name_prefix = "bins";
  CHECK(s.is_delegated_role("bins-1f"));
  CHECK_FALSE(s.is_delegated_role("bins-20"));
  CHECK_FALSE(s.is_delegated_role("bins-1"));
  CHECK_FALSE(s.is_delegated_role("bins-1F"));
  CHECK_FALSE(s.is_delegated_role("other-00"));
}

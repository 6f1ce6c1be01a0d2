#include "upkeep/tuf/metadata.h"

#include <cstdio>
#include <set>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

namespace upkeep::tuf {
namespace {

const Json& object_field(const Json& j, std::string_view key) {
  const Json& v = j.at(key);
  if (!v.is_object())
    fail(ErrorCode::kBadInput, "field '" + std::string(key) + "' must be an object, found " + json_type_name(v.type()));
  return v;
}

int64_t positive_int(const Json& j, std::string_view key) {
  int64_t v = j.get_int(key);
  if (v < 1)
    fail(ErrorCode::kBadInput, "field '" + std::string(key) + "' must be at least 1, found " + std::to_string(v));
  return v;
}

std::map<std::string, std::string> parse_hashes(const Json& j) {
  std::map<std::string, std::string> out;
  for (const auto& [alg, value] : j.as_object()) {
    if (!value.is_string()) fail(ErrorCode::kBadInput, "hashes." + alg + " must be a string");
    std::string raw;
    if (value.as_string().empty() || !from_hex(value.as_string(), raw))
      fail(ErrorCode::kBadInput, "hashes." + alg + " must be hex digits, found '" + value.as_string() + "'");
    out[alg] = value.as_string();
  }
  return out;
}

Json hashes_to_json(const std::map<std::string, std::string>& hashes) {
  Json j = Json::object();
  for (const auto& [alg, hex] : hashes) j[alg] = hex;
  return j;
}

// TUF 5.3 and python-tuf: "MAJOR.MINOR" or "MAJOR.MINOR.PATCH" (decimal
// digits), and the major version must be the one this client implements;
// any minor or patch version of it is accepted.
void check_spec_version(const std::string& text) {
  std::vector<std::string> parts{""};
  for (char c : text) {
    if (c == '.')
      parts.emplace_back();
    else
      parts.back() += c;
  }
  bool well_formed = parts.size() == 2 || parts.size() == 3;
  for (const auto& p : parts)
    well_formed = well_formed && !p.empty() && p.size() <= 9 && p.find_first_not_of("0123456789") == std::string::npos;
  if (!well_formed) fail(ErrorCode::kBadInput, "spec_version '" + text + "' is not a version like 1.0 or 1.0.31");
  const std::string ours = std::string(kSpecVersion).substr(0, std::string(kSpecVersion).find('.'));
  if (std::stoul(parts[0]) != std::stoul(ours))
    fail(ErrorCode::kBadInput, "spec_version '" + text + "' has major version " + parts[0] +
                                   "; this client implements TUF " + ours + ".x (" + kSpecVersion + ")");
}

// Reads _type, spec_version, version and expires; `type` is the expected _type.
void parse_header(const Json& s, std::string_view type, MetadataHeader& h) {
  if (!s.is_object()) fail(ErrorCode::kBadInput, "\"signed\" must be an object");
  const std::string& actual = s.get_string("_type");
  if (actual != type) fail(ErrorCode::kBadInput, "_type is '" + actual + "', expected '" + std::string(type) + "'");
  h.spec_version = s.get_string("spec_version");
  check_spec_version(h.spec_version);
  h.version = positive_int(s, "version");
  h.expires = parse_time(s.get_string("expires"), "expires");
}

Json header_json(const MetadataHeader& h, std::string_view type) {
  Json j = Json::object();
  j["_type"] = std::string(type);
  j["spec_version"] = h.spec_version;
  j["version"] = h.version;
  j["expires"] = format_time(h.expires);
  return j;
}

}  // namespace

std::string format_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::time_t parse_time(std::string_view text, std::string_view what) {
  auto invalid = [&] {
    fail(ErrorCode::kBadInput,
         std::string(what) + ": '" + std::string(text) + "' is not a time like 2030-01-31T00:00:00Z");
  };
  if (text.size() != 20) invalid();
  std::tm tm{};
  char z = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &z) != 7 ||
      z != 'Z')
    invalid();
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  // Round-trip: refuses signs, spaces and out-of-range fields such as month 13.
  if (format_time(t) != s) invalid();
  return t;
}

Envelope Envelope::parse(std::string_view text, std::string_view what) {
  Json doc = Json::parse(text, what);
  return in_context(what, [&] {
    if (!doc.is_object()) fail(ErrorCode::kBadInput, "expected an object with \"signatures\" and \"signed\"");
    for (const auto& [key, value] : doc.as_object())
      if (key != "signatures" && key != "signed")
        fail(ErrorCode::kBadInput, "unexpected top-level field '" + key + "'");
    Envelope e;
    e.signed_json = object_field(doc, "signed");
    const auto& sigs = doc.get_array("signatures");
    std::set<std::string> keyids;
    for (size_t i = 0; i < sigs.size(); ++i) {
      in_context("signatures[" + std::to_string(i) + "]", [&] {
        if (!sigs[i].is_object()) fail(ErrorCode::kBadInput, "expected an object with \"keyid\" and \"sig\"");
        e.signatures.push_back({sigs[i].get_string("keyid"), sigs[i].get_string("sig")});
        // As python-tuf: one signature per key id, or the file is invalid.
        if (!keyids.insert(e.signatures.back().keyid).second)
          fail(ErrorCode::kBadInput, "more than one signature by key id " + e.signatures.back().keyid);
      });
    }
    return e;
  });
}

void Envelope::sign(const PrivateKey& key) { sign(key, key.key_id()); }

void Envelope::sign(const PrivateKey& key, const std::string& id) {
  std::string sig = to_hex(key.sign(canonical_signed()));
  for (auto& s : signatures) {
    if (s.keyid == id) {
      s.sig = sig;
      return;
    }
  }
  signatures.push_back({id, sig});
}

std::string Envelope::to_text() const {
  Json doc = Json::object();
  Json sigs = Json::array();
  for (const auto& s : signatures) {
    Json j = Json::object();
    j["keyid"] = s.keyid;
    j["sig"] = s.sig;
    sigs.push_back(j);
  }
  doc["signatures"] = sigs;
  doc["signed"] = signed_json;
  return doc.dump(2) + "\n";
}

size_t count_valid_signatures(const Envelope& envelope, const KeyMap& keys, const RoleKeys& role) {
  const std::string message = envelope.canonical_signed();
  std::set<std::string> role_ids(role.keyids.begin(), role.keyids.end());
  // Distinct keys, not ids: a key listed under two ids still counts once.
  std::set<std::string> counted;
  for (const auto& s : envelope.signatures) {
    if (!role_ids.count(s.keyid)) continue;
    auto key = keys.find(s.keyid);
    std::string raw;
    if (key == keys.end() || !from_hex(s.sig, raw)) continue;
    std::string identity = key->second->to_json().dump_canonical();
    if (counted.count(identity)) continue;
    if (key->second->verify(message, raw)) counted.insert(std::move(identity));
  }
  return counted.size();
}

void verify_threshold(const Envelope& envelope, const KeyMap& keys, const RoleKeys& role, std::string_view what) {
  size_t valid = count_valid_signatures(envelope, keys, role);
  if (role.threshold < 1 || valid < static_cast<uint64_t>(role.threshold))
    fail(ErrorCode::kVerification, std::string(what) + ": " + std::to_string(valid) + " valid signature" +
                                       (valid == 1 ? "" : "s") + ", threshold is " + std::to_string(role.threshold));
}

MetaFile MetaFile::parse(const Json& j, std::string_view what) {
  return in_context(what, [&] {
    if (!j.is_object()) fail(ErrorCode::kBadInput, "expected an object with \"version\"");
    MetaFile m;
    m.version = positive_int(j, "version");
    if (j.contains("length")) {
      int64_t len = j.get_int("length");
      if (len < 0) fail(ErrorCode::kBadInput, "field 'length' must not be negative");
      m.length = static_cast<uint64_t>(len);
    }
    if (j.contains("hashes")) m.hashes = parse_hashes(object_field(j, "hashes"));
    return m;
  });
}

Json MetaFile::to_json() const {
  Json j = Json::object();
  j["version"] = version;
  if (length) j["length"] = *length;
  if (!hashes.empty()) j["hashes"] = hashes_to_json(hashes);
  return j;
}

void check_length_and_hashes(std::string_view data, std::optional<uint64_t> length,
                             const std::map<std::string, std::string>& hashes, std::string_view what) {
  if (length && data.size() != *length)
    fail(ErrorCode::kVerification, std::string(what) + ": length is " + std::to_string(data.size()) +
                                       " bytes, expected " + std::to_string(*length));
  if (hashes.empty()) return;
  bool matched = false;
  for (const auto& [name, expected] : hashes) {
    HashAlgorithm alg;
    if (!parse_hash_algorithm(name, alg)) continue;
    std::string actual = hash_hex(alg, data);
    if (actual != expected)
      fail(ErrorCode::kVerification, std::string(what) + ": " + name + " is " + actual + ", expected " + expected);
    matched = true;
  }
  if (!matched)
    fail(ErrorCode::kVerification,
         std::string(what) + ": no supported hash algorithm listed (expected sha256 or sha512)");
}

std::string TargetFile::sha256() const {
  auto it = hashes.find("sha256");
  return it == hashes.end() ? std::string() : it->second;
}

TargetFile TargetFile::parse(const std::string& path, const Json& j, std::string_view what) {
  return in_context(what, [&] {
    if (!j.is_object()) fail(ErrorCode::kBadInput, "expected an object with \"length\" and \"hashes\"");
    TargetFile t;
    t.path = path;
    int64_t len = j.get_int("length");
    if (len < 0) fail(ErrorCode::kBadInput, "field 'length' must not be negative");
    t.length = static_cast<uint64_t>(len);
    t.hashes = parse_hashes(object_field(j, "hashes"));
    if (t.hashes.empty()) fail(ErrorCode::kBadInput, "field 'hashes' must list at least one hash");
    if (j.contains("custom")) t.custom = object_field(j, "custom");
    return t;
  });
}

Json TargetFile::to_json() const {
  Json j = Json::object();
  j["length"] = length;
  j["hashes"] = hashes_to_json(hashes);
  if (custom.is_object() && !custom.as_object().empty()) j["custom"] = custom;
  return j;
}

void MetadataHeader::check_not_expired(std::time_t now, std::string_view what) const {
  if (is_expired(now)) fail(ErrorCode::kVerification, std::string(what) + ": expired at " + format_time(expires));
}

RootMetadata RootMetadata::parse(const Json& s, std::string_view what) {
  return in_context(what, [&] {
    RootMetadata r;
    parse_header(s, kRootRole, r);
    r.consistent_snapshot = s.get_bool("consistent_snapshot");
    r.keys = parse_key_map(s.at("keys"));
    const Json& roles = object_field(s, "roles");
    for (const char* name : {kRootRole, kTimestampRole, kSnapshotRole, kTargetsRole}) {
      in_context(std::string("roles.") + name, [&] {
        RoleKeys rk = RoleKeys::parse(object_field(roles, name));
        for (const auto& id : rk.keyids)
          if (!r.keys.count(id)) fail(ErrorCode::kBadInput, "key id " + id + " is not in 'keys'");
        r.roles[name] = std::move(rk);
      });
    }
    return r;
  });
}

Json RootMetadata::to_json() const {
  Json j = header_json(*this, kRootRole);
  j["consistent_snapshot"] = consistent_snapshot;
  j["keys"] = key_map_json(keys);
  j["roles"] = Json::object();
  for (const auto& [name, rk] : roles) {
    Json role = Json::object();
    rk.add_to_json(role);
    j["roles"][name] = role;
  }
  return j;
}

const RoleKeys& RootMetadata::role(std::string_view name) const {
  auto it = roles.find(std::string(name));
  if (it == roles.end()) fail(ErrorCode::kVerification, "root.json: no role '" + std::string(name) + "'");
  return it->second;
}

TimestampMetadata TimestampMetadata::parse(const Json& s, std::string_view what) {
  return in_context(what, [&] {
    TimestampMetadata t;
    parse_header(s, kTimestampRole, t);
    const Json& meta = object_field(s, "meta");
    t.snapshot = MetaFile::parse(meta.at("snapshot.json"), "meta.snapshot.json");
    return t;
  });
}

Json TimestampMetadata::to_json() const {
  Json j = header_json(*this, kTimestampRole);
  j["meta"]["snapshot.json"] = snapshot.to_json();
  return j;
}

SnapshotMetadata SnapshotMetadata::parse(const Json& s, std::string_view what) {
  return in_context(what, [&] {
    SnapshotMetadata m;
    parse_header(s, kSnapshotRole, m);
    for (const auto& [name, entry] : object_field(s, "meta").as_object())
      m.meta[name] = MetaFile::parse(entry, "meta." + name);
    if (!m.meta.count("targets.json")) fail(ErrorCode::kBadInput, "meta: missing entry 'targets.json'");
    return m;
  });
}

Json SnapshotMetadata::to_json() const {
  Json j = header_json(*this, kSnapshotRole);
  j["meta"] = Json::object();
  for (const auto& [name, entry] : meta) j["meta"][name] = entry.to_json();
  return j;
}

TargetsMetadata TargetsMetadata::parse(const Json& s, std::string_view what) {
  return in_context(what, [&] {
    TargetsMetadata m;
    parse_header(s, kTargetsRole, m);
    for (const auto& [path, entry] : object_field(s, "targets").as_object())
      m.targets[path] = TargetFile::parse(path, entry, "targets." + path);
    if (s.contains("delegations")) m.delegations = Delegations::parse(object_field(s, "delegations"), "delegations");
    return m;
  });
}

Json TargetsMetadata::to_json() const {
  Json j = header_json(*this, kTargetsRole);
  j["targets"] = Json::object();
  for (const auto& [path, t] : targets) j["targets"][path] = t.to_json();
  if (delegations) j["delegations"] = delegations->to_json();
  return j;
}

}  // namespace upkeep::tuf

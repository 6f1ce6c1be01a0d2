#include "upkeep/tuf/delegation.h"

#include <cctype>
#include <cstdio>
#include <set>

#include "upkeep/base/error.h"
#include "upkeep/base/hash.h"

namespace upkeep::tuf {
namespace {

std::vector<std::string> string_array(const Json& j, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& v : j.get_array(key)) {
    if (!v.is_string())
      fail(ErrorCode::kBadInput,
           "field '" + std::string(key) + "' must list strings, found " + json_type_name(v.type()));
    out.push_back(v.as_string());
  }
  return out;
}

Json string_array_json(const std::vector<std::string>& values) {
  Json a = Json::array();
  for (const auto& v : values) a.push_back(v);
  return a;
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// One character of a pattern against `c`: '?', a "[..]" set or a literal.
// Sets `next` to the pattern position after the element.
bool match_element(std::string_view p, size_t i, char c, size_t& next) {
  if (p[i] == '?') {
    next = i + 1;
    return true;
  }
  if (p[i] == '[') {
    size_t j = i + 1;
    bool negate = j < p.size() && p[j] == '!';
    if (negate) ++j;
    size_t first = j;
    if (j < p.size() && p[j] == ']') ++j;  // a leading ']' is a member
    while (j < p.size() && p[j] != ']') ++j;
    if (j < p.size()) {
      bool member = false;
      for (size_t k = first; k < j; ++k) {
        if (k + 2 < j && p[k + 1] == '-') {
          if (p[k] <= c && c <= p[k + 2]) member = true;
          k += 2;
        } else if (p[k] == c) {
          member = true;
        }
      }
      next = j + 1;
      return member != negate;
    }
    // No closing ']': a literal '['.
  }
  next = i + 1;
  return p[i] == c;
}

// fnmatch of one path part (no '/' in either), with backtracking over the last '*'.
bool match_part(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0, star = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    size_t next = 0;
    if (pi < p.size() && p[pi] == '*') {
      star = ++pi;
      star_s = si;
    } else if (pi < p.size() && match_element(p, pi, s[si], next)) {
      pi = next;
      ++si;
    } else if (star != std::string_view::npos) {
      pi = star;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> split_parts(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    out.push_back(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

int hex_width(int bit_length) { return (bit_length + 3) / 4; }

}  // namespace

bool path_pattern_matches(std::string_view pattern, std::string_view target_path) {
  auto pattern_parts = split_parts(pattern);
  auto path_parts = split_parts(target_path);
  if (pattern_parts.size() != path_parts.size()) return false;
  for (size_t i = 0; i < path_parts.size(); ++i)
    if (!match_part(pattern_parts[i], path_parts[i])) return false;
  return true;
}

bool is_top_level_role(std::string_view name) {
  return name == "root" || name == "timestamp" || name == "snapshot" || name == "targets";
}

bool DelegatedRole::is_delegated_path(std::string_view target_path) const {
  if (path_hash_prefixes) {
    const std::string digest = sha256_hex(target_path);
    for (const auto& prefix : *path_hash_prefixes) {
      std::string lower;
      for (char c : prefix) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (digest.compare(0, lower.size(), lower) == 0) return true;
    }
  }
  if (paths) {
    for (const auto& pattern : *paths)
      if (path_pattern_matches(pattern, target_path)) return true;
  }
  return false;
}

DelegatedRole DelegatedRole::parse(const Json& j, std::string_view what) {
  return in_context(what, [&] {
    if (!j.is_object())
      fail(ErrorCode::kBadInput, "expected an object with \"name\", \"keyids\", \"threshold\" and \"terminating\"");
    DelegatedRole r;
    r.name = j.get_string("name");
    if (r.name.empty()) fail(ErrorCode::kBadInput, "field 'name' must not be empty");
    if (is_top_level_role(r.name))
      fail(ErrorCode::kBadInput, "role name '" + r.name + "' is reserved for a top-level role");
    r.keys = RoleKeys::parse(j);
    r.terminating = j.get_bool("terminating");
    if (j.contains("paths") && j.contains("path_hash_prefixes"))
      fail(ErrorCode::kBadInput,
           "role '" + r.name + "' lists both 'paths' and 'path_hash_prefixes' (expected one of them)");
    if (j.contains("paths")) r.paths = string_array(j, "paths");
    if (j.contains("path_hash_prefixes")) {
      r.path_hash_prefixes = string_array(j, "path_hash_prefixes");
      for (const auto& prefix : *r.path_hash_prefixes)
        if (!is_hex(prefix)) fail(ErrorCode::kBadInput, "path_hash_prefixes: '" + prefix + "' is not hex digits");
    }
    return r;
  });
}

Json DelegatedRole::to_json() const {
  Json j = Json::object();
  j["name"] = name;
  keys.add_to_json(j);
  j["terminating"] = terminating;
  if (paths) j["paths"] = string_array_json(*paths);
  if (path_hash_prefixes) j["path_hash_prefixes"] = string_array_json(*path_hash_prefixes);
  return j;
}

std::string SuccinctRoles::role_for_target(std::string_view target_path) const {
  // The first 32 bits of the digest are enough for any bit_length up to 32.
  const std::string digest = sha256_hex(target_path);
  uint64_t first32 = std::stoull(digest.substr(0, 8), nullptr, 16);
  uint64_t bin = first32 >> (32 - bit_length);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%0*llx", hex_width(bit_length), static_cast<unsigned long long>(bin));
  return name_prefix + "-" + suffix;
}

bool SuccinctRoles::is_delegated_role(std::string_view name) const {
  const std::string prefix = name_prefix + "-";
  if (name.substr(0, prefix.size()) != prefix) return false;
  std::string_view suffix = name.substr(prefix.size());
  if (suffix.size() != static_cast<size_t>(hex_width(bit_length)) || !is_hex(suffix)) return false;
  for (char c : suffix)
    if (std::isupper(static_cast<unsigned char>(c))) return false;
  return std::stoull(std::string(suffix), nullptr, 16) < bin_count();
}

SuccinctRoles SuccinctRoles::parse(const Json& j, std::string_view what) {
  return in_context(what, [&] {
    if (!j.is_object())
      fail(ErrorCode::kBadInput,
           "expected an object with \"keyids\", \"threshold\", \"bit_length\" and \"name_prefix\"");
    SuccinctRoles s;
    s.keys = RoleKeys::parse(j);
    int64_t bits = j.get_int("bit_length");
    if (bits < 1 || bits > 32)
      fail(ErrorCode::kBadInput, "field 'bit_length' must be from 1 to 32, found " + std::to_string(bits));
    s.bit_length = static_cast<int>(bits);
    s.name_prefix = j.get_string("name_prefix");
    return s;
  });
}

Json SuccinctRoles::to_json() const {
  Json j = Json::object();
  keys.add_to_json(j);
  j["bit_length"] = bit_length;
  j["name_prefix"] = name_prefix;
  return j;
}

std::vector<Delegations::Match> Delegations::roles_for_target(std::string_view target_path) const {
  std::vector<Match> out;
  if (succinct_roles) {
    // TAP 15: a path belongs to exactly one bin, and bins are terminating.
    out.push_back({succinct_roles->role_for_target(target_path), &succinct_roles->keys, true});
    return out;
  }
  for (const auto& role : roles) {
    if (!role.is_delegated_path(target_path)) continue;
    out.push_back({role.name, &role.keys, role.terminating});
    if (role.terminating) break;
  }
  return out;
}

Delegations Delegations::parse(const Json& j, std::string_view what) {
  return in_context(what, [&] {
    if (!j.is_object())
      fail(ErrorCode::kBadInput, "expected an object with \"keys\" and \"roles\" or \"succinct_roles\"");
    Delegations d;
    d.keys = parse_key_map(j.at("keys"));
    const bool has_roles = j.contains("roles");
    if (has_roles == j.contains("succinct_roles"))
      fail(ErrorCode::kBadInput, "expected exactly one of 'roles' and 'succinct_roles'");
    if (has_roles) {
      const auto& roles = j.get_array("roles");
      std::set<std::string> names;
      for (size_t i = 0; i < roles.size(); ++i) {
        DelegatedRole r = DelegatedRole::parse(roles[i], "roles[" + std::to_string(i) + "]");
        if (!names.insert(r.name).second)
          fail(ErrorCode::kBadInput, "roles[" + std::to_string(i) + "]: role '" + r.name + "' is listed twice");
        d.roles.push_back(std::move(r));
      }
    } else {
      d.succinct_roles = SuccinctRoles::parse(j.at("succinct_roles"), "succinct_roles");
    }
    return d;
  });
}

Json Delegations::to_json() const {
  Json j = Json::object();
  j["keys"] = key_map_json(keys);
  if (succinct_roles) {
    j["succinct_roles"] = succinct_roles->to_json();
  } else {
    Json roles_json = Json::array();
    for (const auto& r : roles) roles_json.push_back(r.to_json());
    j["roles"] = roles_json;
  }
  return j;
}

}  // namespace upkeep::tuf

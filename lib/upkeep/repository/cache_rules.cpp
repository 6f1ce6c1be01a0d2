#include "upkeep/repository/cache_rules.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace upkeep {

namespace {

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::vector<std::string> directives(const std::string& cache_control) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= cache_control.size()) {
    size_t comma = cache_control.find(',', start);
    if (comma == std::string::npos) comma = cache_control.size();
    std::string d = lower_trimmed(std::string_view(cache_control).substr(start, comma - start));
    if (!d.empty()) out.push_back(std::move(d));
    start = comma + 1;
  }
  return out;
}

// "max-age=300" -> 300 for `name` "max-age"; nullopt for another directive or a malformed number.
std::optional<int64_t> seconds_of(const std::string& directive, const std::string& name) {
  if (directive.rfind(name + "=", 0) != 0) return std::nullopt;
  std::string v = directive.substr(name.size() + 1);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 12 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(v);
}

bool is_versioned_metadata(const std::string& name) {
  const size_t dot = name.find('.');
  return dot != std::string::npos && dot > 0 &&
         std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(dot),
                     [](char c) { return c >= '0' && c <= '9'; }) &&
         name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0;
}

}  // namespace

CacheKind CacheRules::kind_of(const std::string& rel) {
  std::string_view r = rel;
  while (!r.empty() && r.front() == '/') r.remove_prefix(1);
  if (r.rfind("targets/", 0) == 0) return CacheKind::kImmutable;
  if (r.rfind("metadata/", 0) == 0) {
    std::string_view name = r.substr(9);
    if (name.find('/') == std::string_view::npos && is_versioned_metadata(std::string(name)))
      return CacheKind::kImmutable;
  }
  return CacheKind::kRevalidate;  // timestamp.json, root.json, download/, anything unknown: the safe side
}

const char* CacheRules::recommended(CacheKind kind) {
  return kind == CacheKind::kImmutable ? "public, max-age=31536000, immutable" : "no-cache";
}

std::optional<int64_t> CacheRules::shared_lifetime(const std::string& cache_control) {
  std::optional<int64_t> max_age, s_maxage;
  for (const std::string& d : directives(cache_control)) {
    if (d == "no-cache" || d == "no-store") return 0;
    if (auto v = seconds_of(d, "s-maxage")) s_maxage = v;
    if (auto v = seconds_of(d, "max-age")) max_age = v;
  }
  return s_maxage ? s_maxage : max_age;
}

std::optional<std::string> CacheRules::problem(CacheKind kind, const std::string& cache_control,
                                               const std::string& expires) {
  const std::optional<int64_t> lifetime = shared_lifetime(cache_control);
  if (kind == CacheKind::kImmutable) {
    if (lifetime && *lifetime >= kShortImmutableSeconds) return std::nullopt;
    return "it never changes, but " +
           (cache_control.empty() ? std::string("no Cache-Control is sent")
                                  : "Cache-Control is \"" + cache_control + "\"") +
           ": caches could keep it for a year and spare the origin";
  }
  if (!lifetime) {
    if (cache_control.empty())
      return std::string("no Cache-Control is sent") + (expires.empty() ? "" : " (only Expires: " + expires + ")") +
             ": caches may keep it as long as they guess (heuristic freshness), so clients see an old release or an "
             "expired timestamp";
    return "Cache-Control \"" + cache_control + "\" gives no lifetime: caches may guess one";
  }
  if (*lifetime > kMaxRevalidateSeconds)
    return "Cache-Control \"" + cache_control + "\" lets caches keep it " + std::to_string(*lifetime) + " s (at most " +
           std::to_string(kMaxRevalidateSeconds) +
           " s is safe): clients see an old release, or an expired timestamp, that long";
  return std::nullopt;
}

}  // namespace upkeep

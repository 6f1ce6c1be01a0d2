#include "upkeep/base/version.h"

#include <algorithm>

#include "upkeep/base/error.h"

namespace upkeep {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_char(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// A numeric identifier: digits only, no leading zero except "0" itself, fits in 64 bits.
bool parse_number(std::string_view s, uint64_t& out) {
  if (!all_digits(s) || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

// Splits on '.', keeping empty pieces so "1..2" and "1." are seen as invalid.
std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    if (dot == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, dot - start));
    start = dot + 1;
  }
}

// SemVer 2.0.0 section 11.4: numeric identifiers compare numerically and rank
// below alphanumeric ones, which compare in ASCII order.
int compare_identifier(const std::string& a, const std::string& b) {
  bool an = all_digits(a), bn = all_digits(b);
  if (an && bn) {
    // No leading zeros (checked at parse time), so a longer number is larger.
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  }
  if (an != bn) return an ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

std::optional<Version> Version::parse(std::string_view text) {
  std::string_view rest = text;
  std::string_view build, pre;
  bool has_build = false, has_pre = false;
  if (size_t plus = rest.find('+'); plus != std::string_view::npos) {
    build = rest.substr(plus + 1);
    rest = rest.substr(0, plus);
    has_build = true;
  }
  if (size_t dash = rest.find('-'); dash != std::string_view::npos) {
    pre = rest.substr(dash + 1);
    rest = rest.substr(0, dash);
    has_pre = true;
  }

  Version v;
  for (std::string_view part : split_dots(rest)) {
    uint64_t n = 0;
    if (!parse_number(part, n)) return std::nullopt;
    v.numbers_.push_back(n);
  }
  // Prerelease and build metadata exist only in SemVer: exactly three numbers.
  if ((has_pre || has_build) && v.numbers_.size() != 3) return std::nullopt;
  if (has_pre) {
    for (std::string_view id : split_dots(pre)) {
      if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) return std::nullopt;
      if (all_digits(id) && id.size() > 1 && id[0] == '0') return std::nullopt;
      v.prerelease_.emplace_back(id);
    }
  }
  if (has_build) {
    for (std::string_view id : split_dots(build)) {
      // Build identifiers may have leading zeros (SemVer 2.0.0 section 10).
      if (id.empty() || !std::all_of(id.begin(), id.end(), is_ident_char)) return std::nullopt;
    }
  }
  v.text_ = std::string(text);
  return v;
}

Version Version::parse_or_throw(std::string_view text, std::string_view what) {
  if (auto v = parse(text)) return *v;
  fail(ErrorCode::kBadInput, std::string(what) + ": '" + std::string(text) +
                                 "' is not a version (expected SemVer like 1.2.3 or dotted numbers like 10.0.19041.1)");
}

int Version::compare(const Version& other) const {
  size_t n = std::max(numbers_.size(), other.numbers_.size());
  for (size_t i = 0; i < n; ++i) {
    uint64_t a = i < numbers_.size() ? numbers_[i] : 0;
    uint64_t b = i < other.numbers_.size() ? other.numbers_[i] : 0;
    if (a != b) return a < b ? -1 : 1;
  }
  // A prerelease ranks below the release with the same numbers.
  if (prerelease_.empty() || other.prerelease_.empty()) {
    if (prerelease_.empty() == other.prerelease_.empty()) return 0;
    return prerelease_.empty() ? 1 : -1;
  }
  size_t m = std::min(prerelease_.size(), other.prerelease_.size());
  for (size_t i = 0; i < m; ++i) {
    if (int c = compare_identifier(prerelease_[i], other.prerelease_[i])) return c;
  }
  // All shared fields equal: the larger set of fields ranks higher.
  if (prerelease_.size() == other.prerelease_.size()) return 0;
  return prerelease_.size() < other.prerelease_.size() ? -1 : 1;
}

}  // namespace upkeep

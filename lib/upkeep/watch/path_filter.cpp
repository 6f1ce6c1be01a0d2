#include "upkeep/watch/path_filter.h"

#include <algorithm>

#include "upkeep/base/error.h"

namespace upkeep::watch {

namespace {

[[noreturn]] void bad_glob(std::string_view pattern, const std::string& why) {
  fail(ErrorCode::kUsage, "glob '" + std::string(pattern) + "': " + why);
}

}  // namespace

bool Glob::Token::accepts(char c) const {
  if (c == '/') return false;
  if (kind == Kind::kAny) return true;
  return (set.find(c) != std::string::npos) != negated;
}

Glob::Glob(std::string_view p) : pattern_(p) {
  if (p.empty()) bad_glob(p, "empty; expected a path pattern like 'lib/**/*.so'");
  if (p.front() == '/') bad_glob(p, "starts with '/'; expected a path relative to the build folder");
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '*') {
      const bool two = i + 1 < p.size() && p[i + 1] == '*';
      if (!two) {
        tokens_.push_back({Token::Kind::kStar});
      } else if (i + 2 < p.size() && p[i + 2] == '/' && (i == 0 || p[i - 1] == '/')) {
        tokens_.push_back({Token::Kind::kFolders});  // "**/": zero or more whole folders
        i += 2;
      } else {
        tokens_.push_back({Token::Kind::kGlobStar});
        ++i;
      }
    } else if (c == '?') {
      tokens_.push_back({Token::Kind::kAny});
    } else if (c == '[') {
      Token t{Token::Kind::kClass};
      size_t j = i + 1;
      if (j < p.size() && (p[j] == '!' || p[j] == '^')) t.negated = true, ++j;
      const size_t first = j;
      for (; j < p.size() && (p[j] != ']' || j == first); ++j) {
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          if (p[j] > p[j + 2]) bad_glob(p, "range " + std::string(p.substr(j, 3)) + " runs backwards");
          for (int ch = p[j]; ch <= p[j + 2]; ++ch) t.set.push_back(static_cast<char>(ch));
          j += 2;
        } else {
          t.set.push_back(p[j]);
        }
      }
      if (j >= p.size()) bad_glob(p, "'[' at offset " + std::to_string(i) + " is never closed by ']'");
      tokens_.push_back(std::move(t));
      i = j;
    } else if (c == '\\' && i + 1 < p.size()) {
      tokens_.push_back({Token::Kind::kLiteral, p[++i]});
    } else {
      tokens_.push_back({Token::Kind::kLiteral, c});
    }
  }
}

// Dynamic programming from the end: row i says which suffixes of `path` the
// tokens from i on match. Time O(tokens x length), no backtracking blow-up.
bool Glob::matches(std::string_view path) const {
  const size_t n = path.size();
  std::vector<char> next(n + 1, 0), cur(n + 1, 0);
  next[n] = 1;  // no tokens match only the empty rest
  for (size_t i = tokens_.size(); i-- > 0;) {
    const Token& t = tokens_[i];
    bool folders_after = false;  // kFolders: some k > j with path[k-1] == '/' and next[k]
    for (size_t j = n + 1; j-- > 0;) {
      bool m = false;
      switch (t.kind) {
        case Token::Kind::kLiteral:
          m = j < n && path[j] == t.literal && next[j + 1];
          break;
        case Token::Kind::kAny:
        case Token::Kind::kClass:
          m = j < n && t.accepts(path[j]) && next[j + 1];
          break;
        case Token::Kind::kStar:
          m = next[j] || (j < n && path[j] != '/' && cur[j + 1]);
          break;
        case Token::Kind::kGlobStar:
          m = next[j] || (j < n && cur[j + 1]);
          break;
        case Token::Kind::kFolders:
          if (j < n && path[j] == '/' && next[j + 1]) folders_after = true;
          m = next[j] || (j < n && folders_after);
          break;
      }
      cur[j] = m;
    }
    std::swap(cur, next);
  }
  return next[0];
}

PathFilter::PathFilter(const std::vector<std::string>& includes, const std::vector<std::string>& excludes) {
  for (const auto& g : includes) includes_.emplace_back(g);
  for (const auto& g : excludes) excludes_.emplace_back(g);
}

bool PathFilter::excluded(std::string_view path) const {
  return std::any_of(excludes_.begin(), excludes_.end(), [&](const Glob& g) { return g.matches(path); });
}

bool PathFilter::counts(std::string_view path) const {
  if (excluded(path)) return false;
  return includes_.empty() ||
         std::any_of(includes_.begin(), includes_.end(), [&](const Glob& g) { return g.matches(path); });
}

bool PathFilter::counts_folder(std::string_view path) const {
  // "obj/**" excludes everything below obj: it matches "obj/" (** may be empty).
  return !excluded(path) && !excluded(std::string(path) + "/");
}

}  // namespace upkeep::watch

// PathFilter: which changed paths of a watched build folder count
// (`upkeep watch --include GLOB --exclude GLOB`).
//
// Globs match the whole path relative to the build folder ('/'-separated):
// `*` any run of characters but '/', `**` any run including '/', `**/` zero
// or more whole folders ("**/*.so" matches "a.so" and "lib/x/a.so"), `?` one
// character but '/', `[abc]`, `[a-z]`, `[!a-z]` (or `[^a-z]`) one character
// of (not of) a class, `\x` the character x. An exclude wins over an include;
// with no include every path is included. Immutable after construction;
// thread-safe. The constructor throws Error(kUsage) naming a glob that is
// empty, starts with '/' or has an unclosed '['.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace upkeep::watch {

class Glob {
 public:
  explicit Glob(std::string_view pattern);
  bool matches(std::string_view path) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Token {
    enum class Kind : char { kLiteral, kAny, kStar, kGlobStar, kFolders, kClass } kind;
    char literal = 0;
    std::string set;  // kClass: the listed characters, ranges expanded
    bool negated = false;
    bool accepts(char c) const;
  };
  std::string pattern_;
  std::vector<Token> tokens_;
};

class PathFilter {
 public:
  PathFilter() = default;
  PathFilter(const std::vector<std::string>& includes, const std::vector<std::string>& excludes);

  // A change to the file `path` counts.
  bool counts(std::string_view path) const;
  // A change to the folder `path` as a whole (removed, moved away) counts:
  // unless the folder or everything below it is excluded. Includes are not
  // asked: the folder may have held an included file.
  bool counts_folder(std::string_view path) const;

 private:
  bool excluded(std::string_view path) const;
  std::vector<Glob> includes_;
  std::vector<Glob> excludes_;
};

}  // namespace upkeep::watch

// Version: parsing and ordering of release versions.
//
// Accepts SemVer 2.0.0 ("1.4.2", "2.0.0-rc.1+build.5") and dotted numeric
// versions with one or more components ("10.0.19041.1", "7"). Precedence
// follows SemVer 2.0.0 section 11; build metadata is ignored; dotted numeric
// versions compare component by component, missing components counting as 0
// ("1.2" == "1.2.0"). Immutable value; thread-safe.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace upkeep {

class Version {
 public:
  // nullopt for anything that is neither SemVer nor dotted numeric.
  static std::optional<Version> parse(std::string_view text);
  // Throws Error(kBadInput): "<what>: '<text>' is not a version (expected SemVer like 1.2.3 or dotted numbers
  // like 10.0.19041.1)".
  static Version parse_or_throw(std::string_view text, std::string_view what = "version");

  const std::string& str() const { return text_; }
  bool is_prerelease() const { return !prerelease_.empty(); }
  const std::vector<uint64_t>& numbers() const { return numbers_; }

  // Negative, zero or positive, by precedence.
  int compare(const Version& other) const;
  friend bool operator==(const Version& a, const Version& b) { return a.compare(b) == 0; }
  friend std::strong_ordering operator<=>(const Version& a, const Version& b) {
    int c = a.compare(b);
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
  }

 private:
  std::string text_;
  std::vector<uint64_t> numbers_;
  std::vector<std::string> prerelease_;
};

}  // namespace upkeep

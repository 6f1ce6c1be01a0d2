// CliArgs: a strict command-line parser shared by the three programs.
//
// Options are "--name value", "--name=value" or boolean "--flag"; anything
// else is positional. Options may appear in any order. Unknown options,
// missing values and repeated single options are Error(kUsage) naming the
// option. Not thread-safe (parse once in main).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace upkeep {

class CliArgs {
 public:
  struct Spec {
    std::set<std::string> flags;   // boolean options, e.g. "json"
    std::set<std::string> values;  // options taking one value, e.g. "port"
    std::set<std::string> multi;   // options that may repeat, e.g. "target-name"
    size_t min_positional = 0;
    size_t max_positional = 0;
  };

  // argv excludes the program (and command) names.
  CliArgs(const std::vector<std::string>& argv, const Spec& spec);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  // Parses an integer in [min, max]; Error(kUsage) "--port expects an integer from 0 to 65535, got 'x'".
  long long int_value_or(const std::string& name, long long fallback, long long min, long long max) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace upkeep

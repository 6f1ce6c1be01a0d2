#include "upkeep/base/cli_args.h"

#include <charconv>

#include "upkeep/base/error.h"

namespace upkeep {

CliArgs::CliArgs(const std::vector<std::string>& argv, const Spec& spec) {
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_done || a.size() < 3 || a.rfind("--", 0) != 0) {
      if (a == "--" && !options_done) {  // after the first "--", "--" is an argument like any other
        options_done = true;
        continue;
      }
      if (!options_done && a.size() > 1 && a[0] == '-') fail(ErrorCode::kUsage, "unknown option '" + a + "'");
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (spec.flags.count(name)) {
      if (inline_value) fail(ErrorCode::kUsage, "option '--" + name + "' takes no value");
      flags_.insert(name);
      continue;
    }
    bool multi = spec.multi.count(name) > 0;
    if (!multi && !spec.values.count(name)) fail(ErrorCode::kUsage, "unknown option '--" + name + "'");
    std::string v;
    if (inline_value) {
      v = *inline_value;
    } else {
      if (i + 1 >= argv.size()) fail(ErrorCode::kUsage, "option '--" + name + "' expects a value");
      v = argv[++i];
    }
    auto& slot = values_[name];
    if (!multi && !slot.empty()) fail(ErrorCode::kUsage, "option '--" + name + "' given twice");
    slot.push_back(v);
  }
  if (positional_.size() < spec.min_positional)
    fail(ErrorCode::kUsage, "expected at least " + std::to_string(spec.min_positional) + " argument(s), got " +
                                std::to_string(positional_.size()));
  if (positional_.size() > spec.max_positional)
    fail(ErrorCode::kUsage, "unexpected argument '" + positional_[spec.max_positional] + "'");
}

std::optional<std::string> CliArgs::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string CliArgs::value_or(const std::string& name, const std::string& fallback) const {
  auto v = value(name);
  return v ? *v : fallback;
}

long long CliArgs::int_value_or(const std::string& name, long long fallback, long long min, long long max) const {
  auto v = value(name);
  if (!v) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < min || out > max)
    fail(ErrorCode::kUsage, "--" + name + " expects an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got '" + *v + "'");
  return out;
}

std::vector<std::string> CliArgs::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace upkeep

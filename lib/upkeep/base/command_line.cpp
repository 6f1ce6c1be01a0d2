#include "upkeep/base/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <regex>
#include <sstream>

#include "upkeep/base/exit_codes.h"
#include "upkeep/base/logging.h"

namespace upkeep {
namespace {

enum class Kind { kFlag, kOption, kRepeated, kArguments };

struct Declaration {
  Kind kind;
  std::string spelling;  // as CLI11 takes it: "--json", "-o,--output", "ARGS"
  std::string key;       // what ParsedArgs is asked for: "json", "output"
  std::string value_name;
  std::string help;
  size_t min = 0, max = 0;
};

std::string spelling_of(const std::string& name) { return name.rfind('-', 0) == 0 ? name : "--" + name; }

// "-o,--output" -> "output"; "--json" -> "json".
std::string key_of(const std::string& spelling) {
  std::string key;
  std::stringstream parts(spelling);
  for (std::string part; std::getline(parts, part, ',');) {
    if (part.rfind("--", 0) == 0) return part.substr(2);
    if (key.empty()) key = part.substr(part.find_first_not_of('-'));
  }
  return key;
}

// The house help: usage first, then what the command does, its arguments, options and footer.
class HouseFormatter : public CLI::Formatter {
 public:
  explicit HouseFormatter(std::string usage) : usage_(std::move(usage)) {
    column_width(30);
    label("OPTIONS", "options");
    label("REQUIRED", "required");
  }
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (usage_.empty()) return "usage: " + name + (app->get_options().empty() ? "" : " [options]") + "\n";
    std::string out = "usage: ";
    for (char c : usage_) out += c == '\n' ? std::string("\n       ") : std::string(1, c);
    return out + "\n";
  }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    std::string out = make_usage(app, name) + "\n";
    if (!app->get_description().empty()) out += app->get_description() + "\n\n";
    out += make_positionals(app) + make_groups(app, mode);
    if (!app->get_footer().empty()) out += "\n" + app->get_footer() + "\n";
    return out;
  }
  std::string make_group(std::string group, bool is_positional, std::vector<const CLI::Option*> opts) const override {
    std::string out = group == "OPTIONS" || group == "Options" ? "options:\n"
                      : is_positional                          ? "arguments:\n"
                                                               : group + ":\n";
    for (const CLI::Option* opt : opts) out += make_option(opt, is_positional);
    return out;
  }
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_type_size() == 0) return "";
    return " " + opt->get_type_name() +
           (opt->get_expected_max() > 1 || opt->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll ? " ..."
                                                                                                             : "");
  }

 private:
  std::string usage_;
};

}  // namespace

struct CommandLine::Impl {
  std::string name, summary, usage, footer, version;
  Names names;
  std::vector<Declaration> declarations;

  bool declares(const std::string& key) const {
    return std::any_of(declarations.begin(), declarations.end(), [&](const auto& d) { return d.key == key; });
  }
  std::string version_flag() const {
    if (names.version.empty() || declares(key_of(names.version))) return "";
    return names.version;
  }
  std::unique_ptr<CLI::App> build() const;
  std::string usage_message(const CLI::App& app, const CLI::ParseError& e, const std::vector<std::string>& argv) const;
  std::string hint() const { return " (" + name + " " + names.help + " lists the options)"; }
  void check_argument_count(const CLI::App& app) const;
};

// Error(kUsage) when the positional arguments are fewer than `min` or more than `max`.
void CommandLine::Impl::check_argument_count(const CLI::App& app) const {
  for (const auto& d : declarations) {
    if (d.kind != Kind::kArguments) continue;
    const auto& got = app.get_option(d.spelling)->results();
    if (got.size() > d.max) fail(ErrorCode::kUsage, "unexpected argument '" + got[d.max] + "'" + hint());
    if (got.size() < d.min)
      fail(ErrorCode::kUsage, got.empty() ? "missing " + d.spelling + hint()
                                          : "expected " + d.spelling + " (" + std::to_string(d.min) +
                                                " arguments), got " + std::to_string(got.size()) + hint());
    return;  // one declaration of arguments per command line
  }
}

std::unique_ptr<CLI::App> CommandLine::Impl::build() const {
  auto app = std::make_unique<CLI::App>(summary, name);
  app->formatter(std::make_shared<HouseFormatter>(usage));
  app->set_help_flag(names.help, "print this help and exit");
  // Thrown from its callback: CLI11 runs callbacks before it checks required arguments.
  if (auto v = version_flag(); !v.empty())
    app->add_flag_callback(v, [text = version] { throw ShowText(text + "\n"); })
        ->description("print the version and exit");
  if (!footer.empty()) app->footer(footer);
  for (const auto& d : declarations) {
    switch (d.kind) {
      case Kind::kFlag:
        app->add_flag(d.spelling)->description(d.help);
        break;
      case Kind::kOption:
        app->add_option(d.spelling, CLI::callback_t{}, d.help)->type_name(d.value_name)->expected(1);
        break;
      case Kind::kRepeated:
        app->add_option(d.spelling, CLI::callback_t{}, d.help)
            ->type_name(d.value_name)
            ->expected(1)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        break;
      case Kind::kArguments:
        // Any number, wherever they stand among the options; parse() checks min and max itself.
        app->add_option(d.spelling, CLI::callback_t{}, d.help)
            ->type_name("")
            ->expected(1)
            ->allow_extra_args(true)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        break;
    }
  }
  return app;
}

// CLI11's messages reworded the house way: the option first, then what was expected.
std::string CommandLine::Impl::usage_message(const CLI::App& app, const CLI::ParseError& e,
                                             const std::vector<std::string>& argv) const {
  std::string message = e.what();
  static const std::pair<std::regex, const char*> kRewrites[] = {
      {std::regex("^(\\S+): \\d+ required (\\S+) missing$"), "$1 expects a value ($2)"},
      {std::regex("^(\\S+): At Most 1 required but received \\d+$"), "$1 is given more than once"},
      {std::regex("^(.+): At least (\\d+) required but received (\\d+)$"), "expected $1 ($2 arguments), got $3"},
      {std::regex("^(.+) is required$"), "missing $1"},
  };
  for (const auto& [pattern, replacement] : kRewrites)
    if (std::regex_match(message, pattern)) {
      message = std::regex_replace(message, pattern, replacement);
      break;
    }
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // The first word that nothing took: an option nobody declared, or one argument too many.
    auto rest = app.remaining();
    auto it = std::find_if(rest.begin(), rest.end(), [](const std::string& w) { return w != "--"; });
    const std::string first = it == rest.end() ? std::string() : *it;
    const auto at = std::find(argv.begin(), argv.end(), first);
    const bool is_option = first.size() > 1 && first[0] == '-' && std::find(argv.begin(), at, "--") == at;
    message = is_option ? "unknown option '" + first + "'" : "unexpected argument '" + first + "'";
  }
  return message + hint();
}

CommandLine::CommandLine(std::string name, std::string summary, Names names) : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  impl_->summary = std::move(summary);
  impl_->names = std::move(names);
  impl_->version = impl_->name.substr(0, impl_->name.find(' ')) + " " + UPKEEP_VERSION_STRING;
}
CommandLine::~CommandLine() = default;
CommandLine::CommandLine(CommandLine&&) noexcept = default;

CommandLine& CommandLine::usage(std::string text) {
  impl_->usage = std::move(text);
  return *this;
}
CommandLine& CommandLine::flag(const std::string& name, const std::string& help) {
  const auto s = spelling_of(name);
  impl_->declarations.push_back({Kind::kFlag, s, key_of(s), "", help});
  return *this;
}
CommandLine& CommandLine::option(const std::string& name, const std::string& value_name, const std::string& help) {
  const auto s = spelling_of(name);
  impl_->declarations.push_back({Kind::kOption, s, key_of(s), value_name, help});
  return *this;
}
CommandLine& CommandLine::repeated(const std::string& name, const std::string& value_name, const std::string& help) {
  const auto s = spelling_of(name);
  impl_->declarations.push_back({Kind::kRepeated, s, key_of(s), value_name, help});
  return *this;
}
CommandLine& CommandLine::arguments(const std::string& value_name, const std::string& help, size_t min, size_t max) {
  impl_->declarations.push_back({Kind::kArguments, value_name, "", value_name, help, min, max});
  return *this;
}
CommandLine& CommandLine::footer(std::string text) {
  impl_->footer = std::move(text);
  return *this;
}
CommandLine& CommandLine::version_text(std::string text) {
  impl_->version = std::move(text);
  return *this;
}
const std::string& CommandLine::name() const { return impl_->name; }
std::string CommandLine::help() const { return impl_->build()->help(); }

int CommandLine::value_count(const std::string& option) const {
  if (option == impl_->names.help || option == impl_->version_flag()) return 0;
  for (const auto& d : impl_->declarations)
    if (d.kind != Kind::kArguments && spelling_of(d.key) == option) return d.kind == Kind::kFlag ? 0 : 1;
  return -1;
}

ParsedArgs CommandLine::parse(const std::vector<std::string>& argv) const {
  // --help wins over whatever else does not parse; after "--" it is an argument like any other.
  for (const auto& word : argv) {
    if (word == "--") break;
    if (word == impl_->names.help) throw ShowText(help());
  }
  auto app = impl_->build();
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());  // CLI11 takes them last first
  try {
    app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    throw ShowText(app->help());
  } catch (const CLI::ParseError& e) {
    fail(ErrorCode::kUsage, impl_->usage_message(*app, e, argv));
  }
  ParsedArgs out;
  impl_->check_argument_count(*app);
  for (const auto& d : impl_->declarations) {
    const CLI::Option* opt = app->get_option(d.kind == Kind::kArguments ? d.spelling : spelling_of(d.key));
    if (opt->count() == 0) continue;
    if (d.kind == Kind::kFlag)
      out.flags_.insert(d.key);
    else if (d.kind == Kind::kArguments)
      out.positional_ = opt->results();
    else
      out.values_[d.key] = opt->results();
  }
  return out;
}

std::optional<std::string> ParsedArgs::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string ParsedArgs::value_or(const std::string& name, const std::string& fallback) const {
  auto v = value(name);
  return v ? *v : fallback;
}

long long ParsedArgs::int_value_or(const std::string& name, long long fallback, long long min, long long max) const {
  auto v = value(name);
  if (!v) return fallback;
  long long out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size() || out < min || out > max)
    fail(ErrorCode::kUsage, "--" + name + " expects an integer from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got '" + *v + "'");
  return out;
}

std::vector<std::string> ParsedArgs::values(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int report_failure(const std::string& program, ErrorCode code, const std::string& message, bool json) {
  log_error_to_file(message);
  std::fprintf(stderr, "%s: %s\n", program.c_str(), message.c_str());
  if (json) std::printf("%s\n", error_json(code, message).dump(0).c_str());
  std::fflush(nullptr);
  return static_cast<int>(code);
}

int run_command(const std::string& program, const std::vector<std::string>& argv, const std::function<int()>& body,
                const std::string& json_flag) {
  // --json is looked for in the raw words: a command line that does not parse still gets its JSON error.
  const bool json = std::find(argv.begin(), argv.end(), json_flag) != argv.end();
  try {
    return body();
  } catch (const ShowText& text) {
    std::fputs(text.text().c_str(), stdout);
    return 0;
  } catch (const Error& e) {
    return report_failure(program, e.code(), e.what(), json);
  } catch (const std::exception& e) {
    return report_failure(program, ErrorCode::kFailure, std::string("unexpected: ") + e.what(), json);
  }
}

}  // namespace upkeep

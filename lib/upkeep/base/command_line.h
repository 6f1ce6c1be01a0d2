// CommandLine: one program's or command's options, declared once (on CLI11),
// so that its --help and its parsing come from the same declaration; and
// run_command(), the one edge every program's main() goes through.
//
// The shared conventions, kept here and nowhere else:
// - options are long ("--name value", "--name=value", "--flag"), in any order;
//   "--" ends them; --help (exit 0, on stdout) everywhere, --version too
//   where the command has no --version option of its own;
// - a usage error is Error(kUsage) naming the option and what was expected,
//   printed by run_command() once, as one line on stderr, exit 2;
// - any failure of a command run with --json is also one JSON object on
//   stdout, error_json() (exit_codes.h); never a log line on stdout.
// Not thread-safe: declare and parse in main's thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "upkeep/base/error.h"

namespace upkeep {

// What a command line held after CommandLine::parse(). Names are without
// the leading "--". Plain value.
class ParsedArgs {
 public:
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  // Parses an integer in [min, max]; Error(kUsage) "--port expects an integer from 0 to 65535, got 'x'".
  long long int_value_or(const std::string& name, long long fallback, long long min, long long max) const;
  std::vector<std::string> values(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend class CommandLine;
  std::set<std::string> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Thrown by CommandLine::parse() for --help and --version: the text for
// stdout; run_command() prints it and exits 0.
class ShowText : public std::exception {
 public:
  explicit ShowText(std::string text) : text_(std::move(text)) {}
  const std::string& text() const { return text_; }
  const char* what() const noexcept override { return text_.c_str(); }

 private:
  std::string text_;
};

class CommandLine {
 public:
  struct Names {
    std::string help = "--help";        // the launcher: --upkeep-help
    std::string version = "--version";  // "" for none
  };
  // `name` as the user types it ("upkeep rollout"); `summary`: what it does, a few lines.
  CommandLine(std::string name, std::string summary, Names names);
  CommandLine(std::string name, std::string summary) : CommandLine(std::move(name), std::move(summary), Names{}) {}
  ~CommandLine();
  CommandLine(CommandLine&&) noexcept;

  // The usage line(s) after "usage: " (default: NAME [options] ARGS).
  CommandLine& usage(std::string text);
  // A boolean option. `name` is "json" or "-o,--output" (CLI11's spelling, for a short alias).
  CommandLine& flag(const std::string& name, const std::string& help);
  // An option with one value, given at most once; `value_name` shows in the help ("DIR").
  CommandLine& option(const std::string& name, const std::string& value_name, const std::string& help);
  // An option that may be given again, each time with one value.
  CommandLine& repeated(const std::string& name, const std::string& value_name, const std::string& help);
  // The positional arguments: between `min` and `max` of them.
  CommandLine& arguments(const std::string& value_name, const std::string& help, size_t min, size_t max);
  // Text after the options in --help (examples, exit codes).
  CommandLine& footer(std::string text);
  // The --version text ("upkeep 1.4.0"); default "<first word of the name> UPKEEP_VERSION".
  CommandLine& version_text(std::string text);

  // argv excludes the program (and command) names. Error(kUsage) naming
  // the option and what was expected; ShowText for --help and --version.
  ParsedArgs parse(const std::vector<std::string>& argv) const;
  std::string help() const;
  const std::string& name() const;
  // How many values `option` (with its dashes) takes: 0 for a flag, 1 for
  // an option, -1 when not declared. The launcher splits its own options
  // from the application's with it.
  int value_count(const std::string& option) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The edge of every program: runs `body`; ShowText goes to stdout (exit 0);
// an Error is reported once, as "PROGRAM: message" on stderr (and in the
// file log), and when `argv` holds `json_flag` also as error_json() on
// stdout; its code is the exit code. Any other exception: code kFailure.
int run_command(const std::string& program, const std::vector<std::string>& argv, const std::function<int()>& body,
                const std::string& json_flag = "--json");

// The failure report of run_command(), for a program that catches on its own.
int report_failure(const std::string& program, ErrorCode code, const std::string& message, bool json);

}  // namespace upkeep

// `upkeep compare A B`: which of two versions is newer, by the rule every
// part of upkeep uses (upkeep/base/version.h).
#include <cstdio>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/version.h"

namespace upkeep::cli {

namespace {

CommandLine compare_command_line() {
  CommandLine c("upkeep compare",
                "Prints -1, 0 or 1: version A is older than, as new as, or newer than B.\n"
                "Versions are SemVer 2.0.0 (1.0.0-rc.1 < 1.0.0, build metadata ignored) or\n"
                "dotted numbers (Windows 10.0.19041.1, an Android versionCode 42; 1.2 = 1.2.0).");
  c.usage("upkeep compare A B [--json]")
      .arguments("A B", "the two versions", 2, 2)
      .flag("json", "print {\"a\", \"b\", \"result\"}")
      .footer("Exit codes: 0 compared; 2 bad command line; 10 A or B is not a version.");
  return c;
}

}  // namespace

int cmd_compare(const Args& argv) {
  const ParsedArgs cli = compare_command_line().parse(argv);
  const Version a = Version::parse_or_throw(cli.positional()[0], "compare: A");
  const Version b = Version::parse_or_throw(cli.positional()[1], "compare: B");
  const int c = a.compare(b);
  const int sign = c < 0 ? -1 : c > 0 ? 1 : 0;
  if (cli.flag("json")) {
    Json j = Json::object();
    j["a"] = a.str();
    j["b"] = b.str();
    j["result"] = sign;
    std::printf("%s\n", j.dump(0).c_str());
  } else {
    std::printf("%d\n", sign);
  }
  return 0;
}

}  // namespace upkeep::cli

// `upkeep version-of FILE`: the version a program file states about itself
// (upkeep/fileinfo/program_version.h).
#include <cstdio>

#include "commands.h"
#include "upkeep/base/command_line.h"
#include "upkeep/base/error.h"
#include "upkeep/base/json.h"
#include "upkeep/base/logging.h"
#include "upkeep/fileinfo/program_version.h"

namespace upkeep::cli {

namespace {

CommandLine version_of_command_line() {
  CommandLine c("upkeep version-of",
                "Prints the version FILE states about itself, then what else it says:\n"
                "  Windows exe/dll  the VERSIONINFO resource: the StringFileInfo\n"
                "                   ProductVersion when it is a version, else the fixed\n"
                "                   ProductVersion (a.b.c.d); its FileVersion and strings\n"
                "  ELF program      the note .note.upkeep.version (docs/vendor-guide.md)\n"
                "The file is only read, never run, unless --run-version is given.");
  c.usage("upkeep version-of FILE [--json] [--run-version]")
      .arguments("FILE", "the program file", 1, 1)
      .flag("json", "print one JSON object (on failure too: the error object, docs/admin-guide.md)")
      .flag("run-version",
            "an ELF program without the note: RUN it as `FILE --version` (empty stdin, 10 s limit) and take the "
            "first version on the first line of its output. This executes FILE: only for programs you trust")
      .footer(
          "Exit codes: 0 found; 2 bad command line; 9 the file states no version;\n"
          "10 not a known kind of program file, malformed, or no version in it; 1 other.");
  return c;
}

void print_text(const fileinfo::ProgramVersion& v) {
  std::printf("%s\n", v.version.c_str());
  std::printf("  kind: %s\n  from: %s\n", v.kind.c_str(), v.source.c_str());
  if (v.file_version) std::printf("  file version (fixed): %s\n", v.file_version->c_str());
  if (v.product_version) std::printf("  product version (fixed): %s\n", v.product_version->c_str());
  for (const auto& [key, value] : v.strings) std::printf("  %s: %s\n", key.c_str(), value.c_str());
}

}  // namespace

int cmd_version_of(const Args& argv) {
  const ParsedArgs cli = version_of_command_line().parse(argv);
  if (cli.flag("json")) init_logging({.program = "upkeep", .quiet = true});
  const fileinfo::ProgramVersion v =
      fileinfo::read_program_version(cli.positional()[0], {.run_version = cli.flag("run-version")});
  if (cli.flag("json")) {
    Json j = v.to_json();
    j["file"] = cli.positional()[0];
    std::printf("%s\n", j.dump(0).c_str());
  } else {
    print_text(v);
  }
  return 0;
}

}  // namespace upkeep::cli

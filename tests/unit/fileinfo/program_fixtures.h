// Program files for the fileinfo tests, built at test time by the real
// tools: Windows PE files by Debian's mingw-w64 (windres + gcc), ELF
// programs by gcc, as and objcopy. A missing tool FAILS the test (it must
// not pass by skipping): scripts/setup.sh installs them.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"

namespace upkeep::test {

// Runs a tool that must exist and succeed; fails the test showing its output otherwise.
inline void run_tool(const std::vector<std::string>& argv) {
  INFO("tool: " << argv[0] << " (scripts/setup.sh installs it: gcc-mingw-w64-x86-64-win32, binutils-mingw-w64-x86-64)");
  REQUIRE(stdfs::exists(argv[0]));
  RunResult r = run(argv);
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.exit_code == 0);
}

// A VERSIONINFO resource script: FileVersion 1.2.3.4 and ProductVersion 2.0.0.0 fixed, other
// strings in the table (UTF-8 source; CompanyName is not ASCII).
inline std::string version_rc(const std::string& string_product_version = "2.0.0-rc.1") {
  return "#pragma code_page(65001)\n"
         "1 VERSIONINFO\n"
         "FILEVERSION 1,2,3,4\n"
         "PRODUCTVERSION 2,0,0,0\n"
         "FILEFLAGSMASK 0x3f\nFILEOS 0x40004\nFILETYPE 0x1\n"
         "BEGIN\n"
         "  BLOCK \"StringFileInfo\"\n  BEGIN\n    BLOCK \"040904b0\"\n    BEGIN\n"
         "      VALUE \"CompanyName\", \"Grüße GmbH\"\n"
         "      VALUE \"FileVersion\", \"1.2.3.4 (release)\"\n"
         "      VALUE \"ProductName\", \"Demo\"\n"
         "      VALUE \"ProductVersion\", \"" +
         string_product_version +
         "\"\n"
         "    END\n  END\n"
         "  BLOCK \"VarFileInfo\"\n  BEGIN\n    VALUE \"Translation\", 0x409, 1200\n  END\n"
         "END\n";
}

// A stripped Windows program (or, `dll`, a library) built by mingw-w64, with the resources of `rc` (none when empty).
inline stdfs::path mingw_program(const stdfs::path& dir, const std::string& name, const std::string& rc,
                                 bool dll = false) {
  const stdfs::path c = dir / (name + ".c"), out = dir / name;
  write_text(c, dll ? "__declspec(dllexport) int answer(void) { return 42; }\n" : "int main(void) { return 0; }\n");
  std::vector<std::string> gcc{"/usr/bin/x86_64-w64-mingw32-gcc", "-s", "-o", out.string(), c.string()};
  if (dll) gcc.push_back("-shared");
  if (!rc.empty()) {
    const stdfs::path rc_file = dir / (name + ".rc"), object = dir / (name + ".res.o");
    write_text(rc_file, rc);
    run_tool({"/usr/bin/x86_64-w64-mingw32-windres", rc_file.string(), "-O", "coff", "-o", object.string()});
    gcc.push_back(object.string());
  }
  run_tool(gcc);
  return out;
}

// The same PE file in the PE32 format (binutils' objcopy -O pei-i386): a real PE32 optional header.
inline stdfs::path as_pe32(const stdfs::path& pe, const stdfs::path& out) {
  run_tool({"/usr/bin/x86_64-w64-mingw32-objcopy", "-O", "pei-i386", pe.string(), out.string()});
  return out;
}

// The version note as assembler source, as the vendor guide writes it
// (docs/vendor-guide.md, "Version of a program file").
inline std::string version_note_asm(const std::string& version) {
  return "  .section .note.upkeep.version,\"a\",%note\n"
         "  .balign 4\n"
         "  .long 2f - 1f, 4f - 3f, 1\n"
         "1: .asciz \"upkeep\"\n"
         "2: .balign 4\n"
         "3: .ascii \"" +
         version +
         "\"\n"
         "4: .balign 4\n"
         "  .section .note.GNU-stack,\"\",%progbits\n";
}

// A C program built by gcc with `body` as main's body; with `version`, the
// note's assembler source is linked in (the vendor guide's recipe a).
inline stdfs::path gcc_program(const stdfs::path& dir, const std::string& name, const std::string& version,
                               const std::string& body = "return 0;") {
  const stdfs::path c = dir / (name + ".c"), out = dir / name;
  write_text(c, "#include <stdio.h>\n#include <unistd.h>\nint main(int argc, char** argv) { (void)argc; (void)argv; " +
                    body + " }\n");
  std::vector<std::string> argv{"/usr/bin/gcc", "-O2", "-o", out.string(), c.string()};
  if (!version.empty()) {
    const stdfs::path note = dir / (name + "-note.s");
    write_text(note, version_note_asm(version));
    argv.push_back(note.string());
  }
  run_tool(argv);
  return out;
}

// A relocatable ELF32 (i386) object holding only the note: `as --32`.
inline stdfs::path elf32_note_object(const stdfs::path& dir, const std::string& version) {
  const stdfs::path s = dir / "note32.s", out = dir / "note32.o";
  write_text(s, version_note_asm(version));
  run_tool({"/usr/bin/as", "--32", "-o", out.string(), s.string()});
  return out;
}

}  // namespace upkeep::test

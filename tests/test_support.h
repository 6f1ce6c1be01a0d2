// Helpers shared by the tests: temporary folders, running real programs and
// capturing their output, paths of the programs under test.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace upkeep::test {

namespace stdfs = std::filesystem;

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const stdfs::path& path() const { return path_; }
  stdfs::path operator/(const std::string& rel) const { return path_ / rel; }

 private:
  stdfs::path path_;
};

// Path of a program built by this project: "launcher", "mainapp", "upkeep".
stdfs::path program(const std::string& name);
stdfs::path source_dir();

void write_text(const stdfs::path& path, const std::string& text);
std::string read_text(const stdfs::path& path);

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs a program to completion with stdin closed, capturing stdout and
// stderr. `env` entries are added to (or override) the current environment.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
              const std::optional<std::string>& stdin_text = std::nullopt);

}  // namespace upkeep::test

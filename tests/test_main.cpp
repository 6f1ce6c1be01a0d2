// The test programs' main: Catch2, with the XDG base directories pointed at
// a fresh folder of this process, so that installs the tests run (and the
// programs they start, which inherit the environment) never write shortcuts
// or user data into the real home, and parallel tests never share them.
#define CATCH_CONFIG_RUNNER
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <system_error>

int main(int argc, char** argv) {
  std::string templ = (std::filesystem::temp_directory_path() / "upkeep-test-xdg-XXXXXX").string();
  if (!mkdtemp(templ.data())) return 2;
  const std::filesystem::path xdg = templ;
  for (const char* name : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"})
    setenv(name, (xdg / name).c_str(), 1);
  const int result = Catch::Session().run(argc, argv);
  std::error_code ec;
  std::filesystem::remove_all(xdg, ec);
  return result;
}

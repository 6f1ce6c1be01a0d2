// Logging set-up: spdlog with a console sink (stderr, warnings and up unless
// verbose) and, when a log folder is given, a rotating file sink that keeps
// everything at debug and up. Call init_logging() once from main() before
// starting threads; spdlog's loggers are thread-safe afterwards.
#pragma once

#include <filesystem>
#include <string>

namespace upkeep {

struct LogOptions {
  std::string program;            // "launcher", "mainapp", "upkeep"
  std::filesystem::path log_dir;  // empty: no file log
  bool verbose = false;           // console at debug level
  bool quiet = false;             // console errors only (silent mode)
};

void init_logging(const LogOptions& options);

// Logs an error to the file log only: for the one error a program prints
// itself on its way out ("program: message"), so stderr shows it once.
void log_error_to_file(const std::string& message);

}  // namespace upkeep

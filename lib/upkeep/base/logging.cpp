#include "upkeep/base/logging.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <system_error>

namespace upkeep {
namespace {
spdlog::sink_ptr g_console;  // init_logging's console sink
}  // namespace

void init_logging(const LogOptions& options) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  console->set_level(options.quiet ? spdlog::level::err : options.verbose ? spdlog::level::debug : spdlog::level::warn);
  console->set_pattern(options.program + ": %^%l%$: %v");
  sinks.push_back(console);
  g_console = console;
  if (!options.log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.log_dir, ec);
    if (!ec) {
      try {
        auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
            (options.log_dir / (options.program + ".log")).string(), 1 << 20, 3);
        file->set_level(spdlog::level::debug);
        file->set_pattern("%Y-%m-%dT%H:%M:%S.%e %P %t %l: %v");
        sinks.push_back(file);
      } catch (const spdlog::spdlog_ex&) {
        // A read-only log folder must not stop the program; the console still works.
      }
    }
  }
  auto logger = std::make_shared<spdlog::logger>(options.program, sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::debug);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void log_error_to_file(const std::string& message) {
  if (!g_console) return;  // before init_logging(): spdlog's own default logger writes to stdout
  auto logger = spdlog::default_logger();
  for (const auto& sink : logger->sinks()) {
    if (sink == g_console || !sink->should_log(spdlog::level::err)) continue;
    spdlog::details::log_msg msg(logger->name(), spdlog::level::err, message);
    sink->log(msg);
    sink->flush();
  }
}

}  // namespace upkeep

// Logging for the host: one spdlog logger ("kohl") that prints to stderr and fans out to
// extra sinks (the GUI's log pane, a test's capture). Plugins log through IHostServices,
// tagged with their id.
#pragma once

#include <memory>

#include <spdlog/spdlog.h>

namespace kohl::core {

// The process-wide logger; created on first use.
std::shared_ptr<spdlog::logger> logger();

// The level of the stderr sink (default "warn"; the CLI's --verbose sets "debug").
void set_log_level(spdlog::level::level_enum level);

// Adds / removes an extra sink that receives messages at `level` and above, whatever the
// stderr level is. Thread-safe: sinks may come and go while other threads log.
void add_log_sink(std::shared_ptr<spdlog::sinks::sink> sink,
                  spdlog::level::level_enum level = spdlog::level::info);
void remove_log_sink(const std::shared_ptr<spdlog::sinks::sink>& sink);

}  // namespace kohl::core

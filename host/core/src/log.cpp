#include "kohl/core/log.hpp"

#include <algorithm>
#include <mutex>

#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace kohl::core {

namespace {
struct LogState {
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> stderr_sink;
  std::shared_ptr<spdlog::sinks::dist_sink_mt> extra;  // its own mutex guards its sink list
  std::shared_ptr<spdlog::logger> logger;
  std::mutex mutex;  // serialises level changes
};

LogState& state() {
  static LogState* s = [] {
    auto* st = new LogState();  // leaked: plugins may log from static destructors
    st->stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::automatic);
    st->stderr_sink->set_level(spdlog::level::warn);
    st->stderr_sink->set_pattern("%^%l%$: %v");
    st->extra = std::make_shared<spdlog::sinks::dist_sink_mt>();
    st->extra->set_level(spdlog::level::off);
    st->logger = std::make_shared<spdlog::logger>("kohl", spdlog::sinks_init_list{st->stderr_sink, st->extra});
    st->logger->set_level(spdlog::level::warn);
    return st;
  }();
  return *s;
}

// The logger lets through the most verbose level any sink wants; each sink filters.
void update_levels(LogState& s) {
  auto lowest = s.stderr_sink->level();
  auto extra_lowest = spdlog::level::off;
  for (const auto& sink : s.extra->sinks()) extra_lowest = std::min(extra_lowest, sink->level());
  s.extra->set_level(extra_lowest);
  s.logger->set_level(std::min(lowest, extra_lowest));
}
}  // namespace

std::shared_ptr<spdlog::logger> logger() { return state().logger; }

void set_log_level(spdlog::level::level_enum level) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.stderr_sink->set_level(level);
  update_levels(s);
}

void add_log_sink(std::shared_ptr<spdlog::sinks::sink> sink, spdlog::level::level_enum level) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  sink->set_level(level);
  s.extra->add_sink(std::move(sink));
  update_levels(s);
}

void remove_log_sink(const std::shared_ptr<spdlog::sinks::sink>& sink) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.extra->remove_sink(sink);
  update_levels(s);
}

}  // namespace kohl::core

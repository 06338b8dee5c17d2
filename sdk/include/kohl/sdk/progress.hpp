// Progress and cancellation. One interface for every long operation: the CLI draws a
// progress bar from it, the GUI a gauge, tests count calls. Implementations must be
// thread-safe: data-loader workers and plugin threads call them concurrently.
#pragma once

#include <cstdint>
#include <string_view>

namespace kohl::sdk {

class IProgress {
 public:
  virtual ~IProgress() = default;
  // Starts a named phase of `total` steps (total < 0: unknown length).
  virtual void phase(std::string_view name, std::int64_t total) = 0;
  // `n` more steps of the current phase are done.
  virtual void advance(std::int64_t n = 1) = 0;
  // A line for the log pane / the line under the bar.
  virtual void message(std::string_view text) = 0;
  // True once the user asked to stop. Long operations poll it at least once per item
  // (sample, batch, layer) and return Status::cancelled() promptly, leaving no half-written
  // output behind.
  virtual bool cancelled() const = 0;
};

// For callers that do not follow progress.
class NullProgress final : public IProgress {
 public:
  void phase(std::string_view, std::int64_t) override {}
  void advance(std::int64_t) override {}
  void message(std::string_view) override {}
  bool cancelled() const override { return false; }
};

}  // namespace kohl::sdk

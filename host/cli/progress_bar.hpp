// The CLI's IProgress: a one-line bar on stderr (phase, done/total, rate, ETA) when stderr
// is a terminal, a line per phase otherwise (logs, CI). Ctrl-C sets cancelled(), so long
// jobs stop at their next check and roll back; a second Ctrl-C kills the process.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "kohl/sdk/progress.hpp"

namespace kohl::cli {

class ProgressBar final : public sdk::IProgress {
 public:
  ProgressBar();
  ~ProgressBar() override;
  void phase(std::string_view name, std::int64_t total) override;
  void advance(std::int64_t n = 1) override;
  void message(std::string_view text) override;
  bool cancelled() const override;
  // Ends the current line (call before printing results).
  void finish();

 private:
  void draw(bool force);
  std::mutex mutex_;
  std::string phase_;
  std::int64_t total_ = -1;
  std::atomic<std::int64_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool tty_ = false;
  bool drawn_ = false;
};

}  // namespace kohl::cli

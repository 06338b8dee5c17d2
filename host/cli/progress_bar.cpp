#include "progress_bar.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace kohl::cli {

namespace {
std::atomic<int> g_interrupts{0};
extern "C" void on_sigint(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}
}  // namespace

ProgressBar::ProgressBar() : tty_(::isatty(STDERR_FILENO) == 1) {
  start_ = last_draw_ = std::chrono::steady_clock::now();
  std::signal(SIGINT, on_sigint);
}

ProgressBar::~ProgressBar() {
  finish();
  std::signal(SIGINT, SIG_DFL);
}

bool ProgressBar::cancelled() const { return g_interrupts.load() > 0; }

void ProgressBar::phase(std::string_view name, std::int64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (drawn_ && tty_) std::fputc('\n', stderr);
  drawn_ = false;
  phase_ = std::string(name);
  total_ = total;
  done_ = 0;
  start_ = std::chrono::steady_clock::now();
  if (!tty_) std::fprintf(stderr, "%s...\n", phase_.c_str());
  draw(true);
}

void ProgressBar::advance(std::int64_t n) {
  done_ += n;
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  draw(false);
}

void ProgressBar::message(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (drawn_ && tty_) std::fputc('\n', stderr);
  drawn_ = false;
  std::fprintf(stderr, "%.*s\n", static_cast<int>(text.size()), text.data());
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (drawn_ && tty_) {
    draw(true);
    std::fputc('\n', stderr);
  }
  drawn_ = false;
}

void ProgressBar::draw(bool force) {
  if (!tty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100) && done_ != total_) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const std::int64_t done = done_;
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  char line[256];
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    const int width = 30, filled = static_cast<int>(frac * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
    std::snprintf(line, sizeof line, "\r%-28.28s [%s] %lld/%lld  %.0f/s  ETA %.0fs   ", phase_.c_str(), bar.c_str(),
                  static_cast<long long>(done), static_cast<long long>(total_), rate, eta);
  } else {
    std::snprintf(line, sizeof line, "\r%-28.28s %lld  %.0f/s   ", phase_.c_str(), static_cast<long long>(done), rate);
  }
  std::fputs(line, stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace kohl::cli

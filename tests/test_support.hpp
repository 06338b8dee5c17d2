// Helpers shared by the Catch2 suites: where the build put things, scratch folders.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/progress.hpp"

namespace kohl::test {

inline std::filesystem::path build_dir() { return KOHL_BUILD_DIR; }
inline std::filesystem::path source_dir() { return KOHL_SOURCE_DIR; }
inline std::filesystem::path plugin_dir() { return build_dir() / "plugins"; }
inline std::filesystem::path test_plugin_dir() { return build_dir() / "test-plugins"; }

// A process-wide plugin host with build/plugins/FILE loaded, made on first use and shared
// by every test case that asks for the same file.
inline core::PluginHost& plugin_host_with(const std::string& file) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<core::PluginHost>> hosts;
  std::lock_guard<std::mutex> lock(mutex);
  auto& h = hosts[file];
  if (!h) {
    h = std::make_unique<core::PluginHost>();
    h->load_file((plugin_dir() / file).string());
  }
  return *h;
}

// A fresh folder under build/test-scratch/, removed when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    std::random_device rd;
    path_ = build_dir() / "test-scratch" / (name + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& f) const { return path_ / f; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// An IProgress that says "cancelled" once `allow` items have been advanced (from any thread).
class CancelAfter final : public sdk::IProgress {
 public:
  explicit CancelAfter(std::int64_t allow) : allow_(allow) {}
  void phase(std::string_view, std::int64_t) override {}
  void advance(std::int64_t n) override { done_ += n; }
  void message(std::string_view) override {}
  bool cancelled() const override { return done_.load() >= allow_; }
  std::int64_t done() const { return done_.load(); }

 private:
  std::int64_t allow_;
  std::atomic<std::int64_t> done_{0};
};

}  // namespace kohl::test

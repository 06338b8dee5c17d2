// The host side of sdk::IHostServices: one object per plugin instance, tagged with the
// plugin id so its log lines say who wrote them.
#pragma once

#include <cstdint>
#include <string>

#include "kohl/sdk/host_services.hpp"

namespace kohl::core {

// Where a plugin instance runs: the job's seed and folders. Defaults suit a one-off use
// (CLI describe, tests): seed 0, folders under the system temp directory.
struct HostContext {
  std::uint64_t seed = 0;
  std::string data_dir;
  std::string cache_dir;
  std::string temp_dir;
};

class HostServices final : public sdk::IHostServices {
 public:
  HostServices(std::string plugin_id, HostContext context);

  void log(sdk::LogLevel level, std::string_view message) override;
  std::uint64_t seed() const override { return context_.seed; }
  std::mt19937_64 make_rng(std::uint64_t stream) const override;
  sdk::Result<cv::Mat> read_image(const std::string& path) const override;
  sdk::Status write_image(const std::string& path, const cv::Mat& image) const override;
  std::string data_dir() const override { return context_.data_dir; }
  std::string cache_dir() const override { return context_.cache_dir; }
  std::string temp_dir() const override { return context_.temp_dir; }

 private:
  std::string plugin_id_;
  HostContext context_;
};

// A 64-bit mix of seed and stream (splitmix64), the same on every platform.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream);

}  // namespace kohl::core

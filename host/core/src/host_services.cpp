#include "kohl/core/host_services.hpp"

#include <filesystem>
#include <system_error>


#include "kohl/core/codecs.hpp"
#include "kohl/core/log.hpp"

namespace kohl::core {

namespace fs = std::filesystem;

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

HostServices::HostServices(std::string plugin_id, HostContext context)
    : plugin_id_(std::move(plugin_id)), context_(std::move(context)) {
  std::error_code ec;
  const fs::path base = fs::temp_directory_path(ec) / "kohl";
  if (context_.temp_dir.empty()) context_.temp_dir = (base / "tmp" / plugin_id_).string();
  if (context_.cache_dir.empty()) context_.cache_dir = (base / "cache" / plugin_id_).string();
}

void HostServices::log(sdk::LogLevel level, std::string_view message) {
  static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
                                                       spdlog::level::err};
  const int i = static_cast<int>(level);
  logger()->log(kMap[(i >= 0 && i <= 3) ? i : 1], "[{}] {}", plugin_id_, message);
}

std::mt19937_64 HostServices::make_rng(std::uint64_t stream) const {
  return std::mt19937_64(derive_seed(context_.seed, stream));
}

sdk::Result<cv::Mat> HostServices::read_image(const std::string& path) const {
  return codecs::read(path, cv::IMREAD_COLOR);
}

sdk::Status HostServices::write_image(const std::string& path, const cv::Mat& image) const {
  return codecs::write(path, image);
}

}  // namespace kohl::core

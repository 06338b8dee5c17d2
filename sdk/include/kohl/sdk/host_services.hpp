// What the host offers a plugin instance. The host creates one IHostServices per plugin
// object and passes it to create(); it outlives the object. All methods are thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "kohl/sdk/status.hpp"

namespace kohl::sdk {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

class IHostServices {
 public:
  virtual ~IHostServices() = default;
  // Writes to the host's log (CLI stderr, GUI log pane), tagged with the plugin id.
  virtual void log(LogLevel level, std::string_view message) = 0;
  // The seed of the job this plugin runs in (training run, import, ...).
  virtual std::uint64_t seed() const = 0;
  // A generator derived from the job's seed and `stream`: the same seed and stream give
  // the same numbers on every machine. Use one stream per worker / purpose.
  virtual std::mt19937_64 make_rng(std::uint64_t stream) const = 0;
  // Reads an image as CV_8UC3 BGR; the error names the file and the reason.
  virtual Result<cv::Mat> read_image(const std::string& path) const = 0;
  virtual Status write_image(const std::string& path, const cv::Mat& image) const = 0;
  // Folders the plugin may use: its data (read-only resources), a cache it may fill,
  // and a temporary folder removed when the job ends.
  virtual std::string data_dir() const = 0;
  virtual std::string cache_dir() const = 0;
  virtual std::string temp_dir() const = 0;
};

}  // namespace kohl::sdk

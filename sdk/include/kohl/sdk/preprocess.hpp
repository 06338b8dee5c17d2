// Image preprocessing for a network's input, as training did it and as a deployed model
// needs it: resize to size x size (INTER_AREA), BGR -> RGB planes, x/255, (x - mean) / std.
// One definition for the trainer, the server and exporters' descriptions (preprocessing.json).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::sdk {

struct Preprocessing {
  int size = 128;                                           // square input, pixels
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};   // RGB order (ImageNet)
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};

  // {"size", "resize": "area", "channels": "RGB", "scale": "1/255", "mean", "std"}
  Json to_json() const {
    return {{"size", size}, {"resize", "area"}, {"channels", "RGB"}, {"scale", "1/255"},
            {"mean", {mean[0], mean[1], mean[2]}}, {"std", {std[0], std[1], std[2]}}};
  }
  // Reads to_json()'s shape; `where` names the file in errors.
  static Result<Preprocessing> from_json(const Json& j, const std::string& where) {
    Preprocessing p;
    // "size": N, or a run's recorded "resize": [N, N].
    Json size = j.is_object() && j.contains("size") ? j["size"] : Json();
    if (size.is_null() && j.is_object() && j.contains("resize") && j["resize"].is_array() && j["resize"].size() == 2 &&
        j["resize"][0] == j["resize"][1])
      size = j["resize"][0];
    if (!size.is_number_integer() || size.get<int>() < 1)
      return Status::invalid(where + ": field 'size' must be a positive integer (the input's side in pixels)");
    p.size = size.get<int>();
    for (const char* key : {"mean", "std"}) {
      if (!j.contains(key)) continue;
      const auto& a = j[key];
      if (!a.is_array() || a.size() != 3 || !a[0].is_number() || !a[1].is_number() || !a[2].is_number())
        return Status::invalid(where + ": field '" + key + "' must be three numbers (R, G, B)");
      auto& dst = std::string(key) == "mean" ? p.mean : p.std;
      for (int c = 0; c < 3; ++c) dst[static_cast<std::size_t>(c)] = a[static_cast<std::size_t>(c)].get<float>();
    }
    for (float s : p.std)
      if (!(s > 0)) return Status::invalid(where + ": field 'std' must be positive");
    for (const char* key : {"channels", "color"})
      if (j.contains(key) && j[key] != "RGB") return Status::invalid(where + ": field '" + key + "' must be \"RGB\"");
    return p;
  }
};

// Writes the 3 x size x size planes of `bgr` (CV_8UC3, any size) to out (3*size*size floats).
inline void to_planes(const cv::Mat& bgr, const Preprocessing& p, float* out) {
  const int size = p.size;
  cv::Mat resized;
  if (bgr.cols == size && bgr.rows == size) resized = bgr;
  else cv::resize(bgr, resized, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  const std::size_t plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  for (int y = 0; y < size; ++y) {
    const auto* row = resized.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size; ++x) {
      const std::size_t o = static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x);
      out[o] = (row[x][2] / 255.0f - p.mean[0]) / p.std[0];
      out[plane + o] = (row[x][1] / 255.0f - p.mean[1]) / p.std[1];
      out[2 * plane + o] = (row[x][0] / 255.0f - p.mean[2]) / p.std[2];
    }
  }
}

}  // namespace kohl::sdk

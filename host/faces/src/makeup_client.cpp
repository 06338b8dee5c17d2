// The host's client of the makeup renderer plugin. See makeup_client.hpp.
#include "kohl/faces/makeup_client.hpp"

#include <string>

#include "kohl/sdk/layouts.hpp"
#include "kohl/sdk/sample.hpp"

namespace kohl::faces {

using sdk::Json;
using sdk::Result;
using sdk::Status;

Result<MakeupRenderer> MakeupRenderer::create(core::PluginHost& host) {
  if (!host.find(kMakeupPluginId))
    return Status::error(std::string("the makeup renderer plugin ") + kMakeupPluginId +
                         " is not loaded: check that makeup.so is in build/plugins (or a folder of "
                         "KOHL_PLUGIN_PATH) and that `kohl plugins list` shows it loaded");
  auto fixed = host.create<sdk::IAugmenter>(kMakeupPluginId, Json{{"mode", "fixed"}, {"p", 1.0}});
  if (!fixed) return Status::error(std::string(kMakeupPluginId) + ": " + fixed.status().message());
  auto random = host.create<sdk::IAugmenter>(kMakeupPluginId, Json{{"mode", "random"}, {"p", 1.0}});
  if (!random) return Status::error(std::string(kMakeupPluginId) + ": " + random.status().message());
  return MakeupRenderer(std::move(fixed).value(), std::move(random).value());
}

Result<std::pair<cv::Mat, Json>> MakeupRenderer::run(const sdk::IAugmenter& aug, const cv::Mat& bgr,
                                                     const std::vector<cv::Point2f>& landmarks68, Json extra,
                                                     std::mt19937_64& rng) const {
  if (bgr.empty() || bgr.type() != CV_8UC3) return Status::invalid("makeup: the image must be CV_8UC3 (BGR)");
  if (landmarks68.size() != 68)
    return Status::invalid("makeup: 68 landmarks in the dlib-68 layout are needed, got " +
                           std::to_string(landmarks68.size()));
  sdk::Sample s;
  s.id = "render";
  s.image = bgr;  // the plugin writes a new Mat, never into this buffer
  s.landmarks.push_back(sdk::Landmarks{sdk::kLayoutDlib68, landmarks68});
  s.extra = std::move(extra);
  if (Status st = aug.apply(s, rng); !st) return st;
  return std::make_pair(s.image, s.extra.value("makeup", Json::object()));
}

Result<cv::Mat> MakeupRenderer::render(const cv::Mat& bgr, const std::vector<cv::Point2f>& landmarks68,
                                       const Json& palette) const {
  if (!palette.is_object()) return Status::invalid("makeup: the palette must be a JSON object, got " + palette.dump());
  std::mt19937_64 unused(0);  // a request draws nothing
  auto r = run(*fixed_, bgr, landmarks68, Json{{"makeup_request", palette}}, unused);
  if (!r) return r.status();
  return std::move(r).value().first;
}

Result<std::pair<cv::Mat, Json>> MakeupRenderer::render_random(const cv::Mat& bgr,
                                                               const std::vector<cv::Point2f>& landmarks68,
                                                               std::mt19937_64& rng) const {
  return run(*random_, bgr, landmarks68, Json::object(), rng);
}

}  // namespace kohl::faces

// The host's handle on the makeup renderer plugin (org.kohl.augment.makeup): renders a
// given palette, or a random one, onto a face. Used by `kohl tryon`, the synthetic pair
// generator and previews. The plugin does the drawing; this class only builds the Sample
// (image, dlib-68 landmarks, sample.extra["makeup_request"]) and reads the result back.
//
// Threads: create() on any thread after the host has loaded its plugins; render() and
// render_random() are const and may be called concurrently (the plugin's apply() is).
#pragma once

#include <memory>
#include <random>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/augmenter.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::faces {

constexpr const char* kMakeupPluginId = "org.kohl.augment.makeup";  // persisted

class MakeupRenderer {
 public:
  // Finds the plugin in `host` (already loaded) and makes the objects it needs. Fails,
  // naming the plugin id and where plugins are searched, when it is not loaded.
  static sdk::Result<MakeupRenderer> create(core::PluginHost& host);

  // Renders `palette` (the palette JSON: {"lip": {"lab": [L,a,b], ...}, ...}) onto a copy
  // of bgr (CV_8UC3) given 68 landmarks in the dlib-68 layout. An invalid palette or
  // landmark set is an invalid-argument error saying what is wrong. Thread-safe.
  sdk::Result<cv::Mat> render(const cv::Mat& bgr, const std::vector<cv::Point2f>& landmarks68,
                              const sdk::Json& palette) const;

  // Draws a random palette (the augmenter's distribution) with rng, renders it; returns the
  // image and the palette applied. Thread-safe (each caller passes its own rng).
  sdk::Result<std::pair<cv::Mat, sdk::Json>> render_random(const cv::Mat& bgr,
      const std::vector<cv::Point2f>& landmarks68, std::mt19937_64& rng) const;

 private:
  MakeupRenderer(std::shared_ptr<sdk::IAugmenter> fixed, std::shared_ptr<sdk::IAugmenter> random)
      : fixed_(std::move(fixed)), random_(std::move(random)) {}
  // Runs `aug` on a sample built from the arguments; extra = the sample's extra going in.
  sdk::Result<std::pair<cv::Mat, sdk::Json>> run(const sdk::IAugmenter& aug, const cv::Mat& bgr,
      const std::vector<cv::Point2f>& landmarks68, sdk::Json extra, std::mt19937_64& rng) const;

  std::shared_ptr<sdk::IAugmenter> fixed_;   // mode fixed, no colours: renders requests only
  std::shared_ptr<sdk::IAugmenter> random_;  // mode random, p = 1
};

}  // namespace kohl::faces

// augment-basic: the first augmenters.
//   org.kohl.augment.flip                  horizontal flip; annotations follow the pixels
//   org.kohl.augment.brightness_contrast   out = (in - 128) * contrast + 128 + 255 * brightness
#include <opencv2/core.hpp>

#include "kohl/sdk/sdk.hpp"

namespace {

using namespace kohl::sdk;

// ---- flip -------------------------------------------------------------------------------
// Coordinates: landmarks are pixel-centre coordinates (pixel i has centre i), so x maps to
// (W - 1) - x; boxes are edge coordinates covering [x, x + w), so x maps to W - x - w.
class Flip final : public IAugmenter {
 public:
  Flip(const ParamValues& p, IHostServices&) : p_(param_float(p, "p", 0.5)) {}

  Status apply(Sample& s, std::mt19937_64& rng) const override {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (u(rng) >= p_) return Status::ok();
    return flip(s);
  }

  static Status flip(Sample& s) {
    if (s.image.empty()) return Status::invalid("sample " + s.id + ": no image");
    const int w = s.image.cols;
    // Check every annotation can be mirrored before changing anything.
    for (const auto& lm : s.landmarks) {
      const LandmarkLayout layout = landmark_layout(lm.layout);
      if (layout.mirror.empty())
        return Status::invalid("sample " + s.id + ": landmark layout '" + lm.layout +
                               "' has no left/right table; cannot flip it");
      if (static_cast<int>(lm.points.size()) != layout.count)
        return Status::invalid("sample " + s.id + ": layout " + lm.layout + " needs " + std::to_string(layout.count) +
                               " points, got " + std::to_string(lm.points.size()));
    }
    LabelMap map;
    if (s.mask) {
      map = label_map(s.mask->label_map);
      if (map.mirror.empty())
        return Status::invalid("sample " + s.id + ": label map '" + s.mask->label_map +
                               "' has no left/right table; cannot flip it");
      if (s.mask->labels.size() != s.image.size() || s.mask->labels.type() != CV_8UC1)
        return Status::invalid("sample " + s.id + ": mask must be CV_8UC1 of the image's size");
    }

    cv::Mat out;
    cv::flip(s.image, out, 1);
    s.image = out;
    for (auto& lm : s.landmarks) {
      const LandmarkLayout layout = landmark_layout(lm.layout);
      std::vector<cv::Point2f> moved(lm.points.size());
      for (std::size_t i = 0; i < lm.points.size(); ++i) {
        // Point i lands where the mirrored index's point is: a left eye corner becomes a right one.
        const auto j = static_cast<std::size_t>(layout.mirror[i]);
        moved[j] = cv::Point2f(static_cast<float>(w - 1) - lm.points[i].x, lm.points[i].y);
      }
      lm.points = std::move(moved);
    }
    if (s.mask) {
      cv::Mat flipped;
      cv::flip(s.mask->labels, flipped, 1);
      cv::Mat lut(1, 256, CV_8U);
      for (int v = 0; v < 256; ++v)
        lut.at<std::uint8_t>(v) = static_cast<std::uint8_t>(v < static_cast<int>(map.mirror.size()) ? map.mirror[v] : v);
      cv::Mat swapped(flipped.size(), CV_8UC1);
      for (int y = 0; y < flipped.rows; ++y) {
        const auto* src = flipped.ptr<std::uint8_t>(y);
        auto* dst = swapped.ptr<std::uint8_t>(y);
        for (int x = 0; x < flipped.cols; ++x) dst[x] = lut.at<std::uint8_t>(src[x]);
      }
      s.mask->labels = swapped;
    }
    for (auto& b : s.boxes) b.rect.x = static_cast<float>(w) - b.rect.x - b.rect.width;
    s.extra["flipped"] = !s.extra.value("flipped", false);
    return Status::ok();
  }

 private:
  double p_;
};

// ---- brightness / contrast --------------------------------------------------------------
class BrightnessContrast final : public IAugmenter {
 public:
  BrightnessContrast(const ParamValues& p, IHostServices&)
      : p_(param_float(p, "p", 1.0)),
        brightness_(param_range(p, "brightness", {-0.1, 0.1})),
        contrast_(param_range(p, "contrast", {0.9, 1.1})) {}

  Status apply(Sample& s, std::mt19937_64& rng) const override {
    if (s.image.empty()) return Status::invalid("sample " + s.id + ": no image");
    std::uniform_real_distribution<double> u(0.0, 1.0);
    if (u(rng) >= p_) return Status::ok();
    const double b = brightness_.first + (brightness_.second - brightness_.first) * u(rng);
    const double c = contrast_.first + (contrast_.second - contrast_.first) * u(rng);
    cv::Mat out;
    s.image.convertTo(out, -1, c, 128.0 * (1.0 - c) + 255.0 * b);
    s.image = out;
    return Status::ok();
  }

 private:
  double p_;
  std::pair<double, double> brightness_, contrast_;
};

Status register_plugins(IRegistrar& r) {
  {
    PluginDescriptor d;
    d.kind = PluginKind::kAugmenter;
    d.id = "org.kohl.augment.flip";
    d.name = "Horizontal flip";
    d.version = "1.0.0";
    d.summary = "Mirrors the image left-right; landmarks, masks and boxes move with it, left/right swapped.";
    d.license_notes = "Apache-2.0 (part of Kohl).";
    d.capabilities = kCapGeometric;
    d.schema.add_float("p", "Probability", 0.5, 0.0, 1.0)
        .step(0.05)
        .group("Geometry")
        .help("Chance that a sample is flipped");
    d.create = &create_plugin<Flip>;
    d.destroy = &destroy_plugin;
    if (Status s = r.add(d); !s) return s;
  }
  {
    PluginDescriptor d;
    d.kind = PluginKind::kAugmenter;
    d.id = "org.kohl.augment.brightness_contrast";
    d.name = "Brightness and contrast";
    d.version = "1.0.0";
    d.summary = "out = (in - 128) * contrast + 128 + 255 * brightness, with both drawn uniformly from their ranges.";
    d.license_notes = "Apache-2.0 (part of Kohl).";
    d.schema.add_float("p", "Probability", 1.0, 0.0, 1.0).step(0.05).group("Photometric")
        .help("Chance that a sample is changed");
    d.schema.add_float_range("brightness", "Brightness shift", -0.1, 0.1, -1.0, 1.0).step(0.01).group("Photometric")
        .help("Added to every channel, as a fraction of full scale (0.1 = +25.5)");
    d.schema.add_float_range("contrast", "Contrast factor", 0.9, 1.1, 0.0, 3.0).step(0.01).group("Photometric")
        .help("Multiplies the distance from mid-grey (1 = unchanged)");
    d.create = &create_plugin<BrightnessContrast>;
    d.destroy = &destroy_plugin;
    if (Status s = r.add(d); !s) return s;
  }
  return Status::ok();
}

}  // namespace

KOHL_PLUGIN(register_plugins)

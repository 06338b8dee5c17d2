// Skin tone of a face from its skin pixels: CIELAB mean after one-sigma trimming, ITA,
// Fitzpatrick type, nearest Monk shade, hue angle and undertone. Header-only so that the
// auto-annotator (host) and evaluator plugins measure the same way. Facts: shared
// DOMAIN.md "Colour science", docs/faces.md "Colour and skin tone".
//
// Trimming follows Fitzpatrick17k's code (ita_fitzpatrick_analysis.ipynb, function ITA):
// it does NOT trim on per-pixel ITA. It trims L* and b* separately, each to the pixels
// within [mean - sd, mean + sd] (inclusive, population sd as np.nanstd), and takes
// ITA = atan2(mean(L kept) - 50, mean(b kept)). We do the same, and trim a* the same way
// (Fitzpatrick17k does not use a*; we need it for Monk and undertone). So lab is the
// per-channel trimmed mean and ita == ita_degrees(lab). One difference: Fitzpatrick17k marks
// non-skin by zeroing pixels and drops values equal to 0; we take the mask instead and keep
// every masked pixel (a real b* of exactly 0 is not dropped).
//
// Thread-safety: pure function. Cost: ~20 ns a masked pixel (Lab via the LUT) plus two
// passes over three doubles a pixel: about 4 ms for 100k skin pixels (2 shared cores).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "kohl/sdk/color.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::sdk::color {

struct SkinTone {
  Lab lab;              // per-channel one-sigma-trimmed mean of the skin pixels
  double ita = 0;       // ita_degrees(lab) (Fitzpatrick17k: ITA of the trimmed means)
  int fitzpatrick = 0;  // 1..6 from ita (fitzpatrick_roman for "I".."VI")
  int monk = 0;         // 1..10, nearest Monk shade to lab by CIEDE2000
  double monk_delta_e = 0;  // CIEDE2000 from lab to that shade
  double hue = 0;       // hue_angle_degrees(lab), [0, 360)
  std::string undertone;  // undertone(lab): "cool" | "neutral" | "warm"
  int pixels = 0;       // skin pixels (mask != 0)
  int kept = 0;         // pixels inside the one-sigma window of both L* and b*
};

namespace detail {

// Mean of v over the values within [mean - sd, mean + sd] (population sd), as
// Fitzpatrick17k. The window gets a relative slack of 1e-12 so that a flat region (sd == 0,
// mean off by rounding) keeps its pixels. in_window[i] is ANDed with v[i]'s membership.
inline double trimmed_mean(const std::vector<double>& v, std::vector<std::uint8_t>& in_window) {
  const double n = static_cast<double>(v.size());
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / n;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double sd = std::sqrt(ss / n);
  const double slack = 1e-12 * (1.0 + std::abs(mean));
  const double lo = mean - sd - slack, hi = mean + sd + slack;
  double kept_sum = 0;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const bool in = v[i] >= lo && v[i] <= hi;
    if (in) {
      kept_sum += v[i];
      ++kept;
    } else {
      in_window[i] = 0;
    }
  }
  return kept > 0 ? kept_sum / static_cast<double>(kept) : mean;  // kept == 0 cannot happen
}

}  // namespace detail

// Measures the skin tone of the pixels of bgr (CV_8UC3, sRGB) where mask (CV_8UC1, same
// size) is non-zero. Called by the faces auto-annotator (worker threads) and evaluators.
// Fails with an invalid-argument Status on wrong types/sizes or when fewer than
// min_pixels skin pixels are given (the message names both counts).
inline Result<SkinTone> measure_skin_tone(const cv::Mat& bgr, const cv::Mat& mask, int min_pixels = 50) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    return Status::invalid("skin tone: the image must be 8-bit BGR (CV_8UC3)");
  if (mask.type() != CV_8UC1 || mask.size() != bgr.size())
    return Status::invalid("skin tone: the mask must be 8-bit single-channel and " + std::to_string(bgr.cols) + "x" +
                           std::to_string(bgr.rows) + " like the image");
  const int need = std::max(min_pixels, 1);
  const int count = cv::countNonZero(mask);
  if (count < need)
    return Status::invalid("skin tone: " + std::to_string(count) + " skin pixels, need at least " +
                           std::to_string(need));

  std::vector<double> L, A, B;
  L.reserve(static_cast<std::size_t>(count));
  A.reserve(static_cast<std::size_t>(count));
  B.reserve(static_cast<std::size_t>(count));
  const auto& lut = detail::srgb8_linear_lut();
  for (int y = 0; y < bgr.rows; ++y) {
    const std::uint8_t* px = bgr.ptr<std::uint8_t>(y);
    const std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < bgr.cols; ++x, px += 3) {
      if (!m[x]) continue;
      const Lab lab = detail::bgr8_ptr_to_lab(px, lut);
      L.push_back(lab.L);
      A.push_back(lab.a);
      B.push_back(lab.b);
    }
  }

  SkinTone t;
  t.pixels = count;
  std::vector<std::uint8_t> in_lb(L.size(), 1), in_a(L.size(), 1);
  t.lab.L = detail::trimmed_mean(L, in_lb);
  t.lab.b = detail::trimmed_mean(B, in_lb);
  t.lab.a = detail::trimmed_mean(A, in_a);  // own window: not part of "kept"
  int kept = 0;
  for (std::uint8_t k : in_lb) kept += k;
  t.kept = kept;
  t.ita = ita_degrees(t.lab);
  t.fitzpatrick = fitzpatrick_from_ita(t.ita);
  t.monk = nearest_monk(t.lab, &t.monk_delta_e);
  t.hue = hue_angle_degrees(t.lab);
  t.undertone = undertone(t.lab);
  return t;
}

}  // namespace kohl::sdk::color

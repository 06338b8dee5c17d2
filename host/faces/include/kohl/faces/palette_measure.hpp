// The makeup palette a made-up face wears, measured from its pixels: for each palette
// region (lip, eyeshadow, blush, foundation) the region's mask, from the face's dlib-68
// landmarks (sdk/face_regions.hpp) or its stored MT-14 mask, and the mean CIELAB colour
// of its pixels after the one-sigma trimming skin tone uses (sdk/skin_tone.hpp's
// measure_skin_tone, so highlights, gloss and stray edge pixels do not pull the mean).
// The recommendation task's `--targets measured` uses this for its reference colours;
// header-only (OpenCV and the SDK headers, no dlib, no LibTorch) so that the trainer
// (libkohl_train.so) and the face tests compute exactly the same numbers.
//
// Regions: each region's core, where a colour is laid on solidly, away from its blended
// edges (constants below; documented in docs/training.md, "Measured targets"):
// - lip: MT-14 upper and lower lip (7, 9), teeth / inner mouth excluded, eroded by
//   kLipCore nose lengths when that leaves enough pixels.
// - eyeshadow: face_regions()' band between each upper eye contour and its brow (eyes and
//   brows excluded). Landmarks only: MT-14 has no eyeshadow label.
// - blush: the apples of the cheeks, face_regions()' cheek ellipses scaled by kBlushCore,
//   inside face skin. Landmarks only.
// - foundation: MT-14 face skin and nose (1, 6) eroded by kFoundationInset nose lengths
//   (the skin tone's measuring mask, kohl/faces/detector.hpp skin_measure_mask, erodes
//   by 0.1), minus the cheeks and the eyeshadow band with their fades where landmarks give
//   them (blush and eyeshadow lie on top of foundation).
// - eyeliner: not measurable (a line one or two pixels wide at training sizes): an error.
// Where both are given, lip and foundation take their labels from the stored MT-14 mask
// (a face parser's or the generator's exact labels), else from the landmarks' regions.
// Without landmarks the foundation inset takes the nose length as a third of the skin's
// height.
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/sdk/color.hpp"
#include "kohl/sdk/face_regions.hpp"
#include "kohl/sdk/skin_tone.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::faces {

// Fewest pixels a region must have to be measured (a 32 px face has about 20 lip pixels).
constexpr int kMeasureMinPixels = 4;
// Region cores, in nose lengths (sdk::face::nose_length) unless said otherwise: where a
// colour is laid on solidly, away from the blended edges. Persisted through the targets
// they measure (docs/training.md).
constexpr double kLipCore = 0.035;         // lips eroded by this (kept whole when that leaves too few pixels)
constexpr double kCheekRx = 0.42, kCheekRy = 0.30;  // face_regions()' cheek ellipse semi-axes
constexpr double kBlushCore = 0.5;         // blush: the cheek ellipse scaled by this
constexpr double kBlushReach = 1.3;        // foundation leaves out the cheek ellipse scaled by this ...
constexpr double kEyeshadowReach = 0.16;   // ... and the eyeshadow band dilated by this
constexpr double kFoundationInset = 0.2;   // foundation: face skin and nose eroded by this

// Whether `region` can be measured, and what it needs: "landmarks" (eyeshadow, blush),
// "landmarks or mask" (lip, foundation); "" when it cannot be measured at all.
inline std::string measured_region_needs(const std::string& region) {
  if (region == "lip" || region == "foundation") return "landmarks or mask";
  if (region == "eyeshadow" || region == "blush") return "landmarks";
  return "";
}

// The pixels region `region`'s colour is measured on, in an image of `size` (CV_8UC1, 0/255).
// landmarks68: 68 points in the dlib-68 layout, in pixels of that image, or empty;
// mt14: CV_8UC1 MT-14 labels of the same size, or empty. The error says what is missing.
inline sdk::Result<cv::Mat> palette_region_mask(const std::string& region, cv::Size size,
                                                const std::vector<cv::Point2f>& landmarks68, const cv::Mat& mt14) {
  namespace face = sdk::face;
  const bool have_pts = landmarks68.size() == 68;
  const bool have_mask = !mt14.empty() && mt14.type() == CV_8UC1 && mt14.size() == size;
  const std::string needs = measured_region_needs(region);
  if (needs.empty())
    return sdk::Status::invalid("region '" + region + "' cannot be measured from an image (lip, eyeshadow, blush or "
                           "foundation can)");
  if (!have_pts && (needs == "landmarks" || !have_mask))
    return sdk::Status::invalid("region '" + region + "' needs dlib-68 landmarks" +
                           (needs == "landmarks" ? std::string("") : std::string(" or an MT-14 mask")) +
                           " of the made-up image (run `kohl annotate auto` first)");
  face::FaceRegions fr;
  float nose = 0;
  if (have_pts) {
    fr = face::face_regions(size, landmarks68);
    nose = face::nose_length(landmarks68);
  }
  const cv::Mat& labels = have_mask ? mt14 : fr.labels;
  auto disc = [](int r) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)); };
  if (region == "lip") {
    cv::Mat m = face::label_mask(labels, {face::kMtUpperLip, face::kMtLowerLip});
    if (!have_pts) return m;
    const int r = static_cast<int>(std::lround(kLipCore * nose));
    if (r < 1) return m;
    cv::Mat core;
    cv::erode(m, core, disc(r));
    return cv::countNonZero(core) >= kMeasureMinPixels ? core : m;  // small faces: the whole lip
  }
  if (region == "eyeshadow") return fr.eyeshadow.clone();
  auto cheek_ellipses = [&](double scale) {  // landmarks only
    const cv::Point2f up = face::face_up(landmarks68);
    const float angle = static_cast<float>(std::atan2(up.x, -up.y) * 180.0 / CV_PI);
    cv::Mat m = cv::Mat::zeros(size, CV_8UC1);
    for (const auto& c : face::cheek_apexes(landmarks68))
      cv::ellipse(m, cv::RotatedRect(c, cv::Size2f(static_cast<float>(2 * kCheekRx * scale * nose),
                                                   static_cast<float>(2 * kCheekRy * scale * nose)), angle),
                  cv::Scalar(255), cv::FILLED);
    return m;
  };
  if (region == "blush") {  // the apples of the cheeks: half the cheek ellipse
    cv::Mat core = cheek_ellipses(kBlushCore) & fr.cheeks;
    return cv::countNonZero(core) >= kMeasureMinPixels ? core : fr.cheeks.clone();
  }
  // foundation
  cv::Mat m = face::label_mask(labels, {face::kMtSkin, face::kMtNose});
  if (!have_pts) {  // no landmarks: a face is about three nose lengths tall (chin to hairline)
    const cv::Rect box = cv::boundingRect(m);
    nose = static_cast<float>(box.height) / 3.0f;
  }
  const int r = static_cast<int>(std::lround(nose * kFoundationInset));
  if (r >= 1) cv::erode(m, m, disc(r));
  if (have_pts) {  // blush and eyeshadow lie on top of it
    m.setTo(0, cheek_ellipses(kBlushReach));
    cv::Mat band;
    const int br = std::max(1, static_cast<int>(std::lround(nose * kEyeshadowReach)));
    cv::dilate(fr.eyeshadow, band, disc(br));
    m.setTo(0, band);
  }
  return m;
}

// The trimmed mean CIELAB of bgr (CV_8UC3 sRGB) over mask (CV_8UC1 non-zero): L*, a*, b*
// each averaged over its values within one standard deviation of its mean (skin_tone.hpp).
// Fails, naming `what`, when the mask has fewer than min_pixels pixels.
inline sdk::Result<sdk::color::Lab> measure_region_colour(const cv::Mat& bgr, const cv::Mat& mask,
                                                          const std::string& what,
                                                          int min_pixels = kMeasureMinPixels) {
  auto t = sdk::color::measure_skin_tone(bgr, mask, min_pixels);
  if (!t) {
    std::string msg = t.status().message();
    const std::string prefix = "skin tone: ";
    if (msg.rfind(prefix, 0) == 0) msg = msg.substr(prefix.size());
    if (const auto p = msg.find("skin pixels"); p != std::string::npos) msg.replace(p, 11, "pixels");
    return sdk::Status::invalid(what + ": " + msg);
  }
  return t.value().lab;
}

// Every region's colour on one made-up image, in `regions`' order.
inline sdk::Result<std::vector<sdk::color::Lab>> measure_palette(const cv::Mat& bgr,
                                                                 const std::vector<cv::Point2f>& landmarks68,
                                                                 const cv::Mat& mt14,
                                                                 const std::vector<std::string>& regions) {
  std::vector<sdk::color::Lab> out;
  out.reserve(regions.size());
  for (const auto& r : regions) {
    auto mask = palette_region_mask(r, bgr.size(), landmarks68, mt14);
    if (!mask) return mask.status();
    auto lab = measure_region_colour(bgr, mask.value(), "region '" + r + "'");
    if (!lab) return lab.status();
    out.push_back(lab.value());
  }
  return out;
}

}  // namespace kohl::faces

// Face regions from 68 landmarks (dlib-68 layout): the MT-14 label image a face-parsing
// model would produce, plus the two regions that exist only for makeup (eyeshadow band,
// cheeks). Header-only so that plugins (renderers, transfer models, evaluators) and the
// host compute exactly the same regions. Facts: shared DOMAIN.md, docs/faces.md.
//
// Conventions (persisted through the masks they produce):
// - "left"/"right" in MT-14 label names mean image left/right: dlib brow 17-21 and eye
//   36-41 are left_brow (2) and left_eye (4). kohl::sdk::label_map(kLabelMapMt14).mirror
//   swaps them on a horizontal flip, so the convention stays consistent under augmentation.
// - Lips are the outer polygon minus the inner one: upper lip (7) above the mouth line,
//   lower lip (9) below it; the inner mouth (60-67) is labelled teeth (8).
// - Face skin (1) is the convex hull of the jaw and an estimated forehead (the brows
//   lifted by kForeheadLift of the nose length along the face's vertical axis), minus
//   brows, eyes, nose (6) and mouth. Hair, ears and neck are not estimated from
//   landmarks and stay background.
//
// Thread-safety: pure functions. Cost: a few fillPoly calls, well under 1 ms at 512 px.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace kohl::sdk::face {

// MT-14 label values (see layouts.hpp for the names).
enum Mt14 : std::uint8_t {
  kMtBackground = 0, kMtSkin = 1, kMtLeftBrow = 2, kMtRightBrow = 3, kMtLeftEye = 4, kMtRightEye = 5,
  kMtNose = 6, kMtUpperLip = 7, kMtTeeth = 8, kMtLowerLip = 9, kMtHair = 10, kMtLeftEar = 11,
  kMtRightEar = 12, kMtNeck = 13,
};

constexpr double kForeheadLift = 0.85;  // forehead height above the brows, in nose lengths (27 -> 33)

struct FaceRegions {
  cv::Mat labels;     // CV_8UC1, image size, MT-14 values
  cv::Mat eyeshadow;  // CV_8UC1 {0, 255}: band between each eye's upper contour and its brow
  cv::Mat cheeks;     // CV_8UC1 {0, 255}: an ellipse around each cheek apex, inside face skin
};

namespace detail {
inline cv::Point2f lerp(cv::Point2f a, cv::Point2f b, float t) { return a + (b - a) * t; }

// fillPoly with 4 fractional bits, so regions follow sub-pixel landmarks.
inline void fill(cv::Mat& m, const std::vector<cv::Point2f>& poly, int value) {
  constexpr int kShift = 4;
  std::vector<cv::Point> p;
  p.reserve(poly.size());
  for (const auto& q : poly)
    p.emplace_back(cvRound(q.x * (1 << kShift)), cvRound(q.y * (1 << kShift)));
  const cv::Point* pts = p.data();
  const int n = static_cast<int>(p.size());
  cv::fillPoly(m, &pts, &n, 1, cv::Scalar(value), cv::LINE_8, kShift);
}

inline std::vector<cv::Point2f> pick(const std::vector<cv::Point2f>& pts, std::initializer_list<int> idx) {
  std::vector<cv::Point2f> out;
  out.reserve(idx.size());
  for (int i : idx) out.push_back(pts[static_cast<std::size_t>(i)]);
  return out;
}

inline std::vector<cv::Point2f> hull(const std::vector<cv::Point2f>& pts) {
  std::vector<cv::Point2f> h;
  cv::convexHull(pts, h);
  return h;
}

// A brow as a band: its 5 points offset up and down by half its thickness.
inline std::vector<cv::Point2f> brow_band(const std::vector<cv::Point2f>& pts, int first, cv::Point2f up,
                                          float thickness) {
  std::vector<cv::Point2f> band;
  for (int i = 0; i < 5; ++i) {
    // Thinner at the tail (away from the nose), as brows are.
    const bool inner_last = first == 17;
    const int from_inner = inner_last ? 4 - i : i;
    const float t = thickness * (0.6f + 0.4f * (1.0f - from_inner / 4.0f));
    band.push_back(pts[static_cast<std::size_t>(first + i)] + up * (t * 0.5f));
  }
  for (int i = 4; i >= 0; --i) {
    const bool inner_last = first == 17;
    const int from_inner = inner_last ? 4 - i : i;
    const float t = thickness * (0.6f + 0.4f * (1.0f - from_inner / 4.0f));
    band.push_back(pts[static_cast<std::size_t>(first + i)] - up * (t * 0.5f));
  }
  return band;
}
}  // namespace detail

// The face's "up" unit vector (chin -> nose bridge) and its nose length, the scale every
// region is sized by (so masks scale and rotate with the face).
inline cv::Point2f face_up(const std::vector<cv::Point2f>& pts) {
  cv::Point2f v = pts[27] - pts[8];
  const float n = std::hypot(v.x, v.y);
  return n > 0 ? v / n : cv::Point2f(0, -1);
}
inline float nose_length(const std::vector<cv::Point2f>& pts) {
  const cv::Point2f d = pts[33] - pts[27];
  return std::max(1.0f, std::hypot(d.x, d.y));
}

// The estimated forehead outline: the 10 brow points lifted along face_up().
inline std::vector<cv::Point2f> forehead_points(const std::vector<cv::Point2f>& pts) {
  const cv::Point2f up = face_up(pts) * (static_cast<float>(kForeheadLift) * nose_length(pts));
  std::vector<cv::Point2f> out;
  for (int i = 17; i <= 26; ++i) {
    // Lift the middle of the forehead most, the temples less: a rounded top.
    const float centre = 1.0f - std::abs((i - 21.5f) / 4.5f) * 0.35f;
    out.push_back(pts[static_cast<std::size_t>(i)] + up * centre);
  }
  return out;
}

// Centres of the cheek apexes: between the jaw points 1-3 / 13-15 and the nostrils 31 / 35.
inline std::array<cv::Point2f, 2> cheek_apexes(const std::vector<cv::Point2f>& pts) {
  const cv::Point2f jl = (pts[1] + pts[2] + pts[3]) / 3.0f;
  const cv::Point2f jr = (pts[13] + pts[14] + pts[15]) / 3.0f;
  return {detail::lerp(jl, pts[31], 0.5f), detail::lerp(jr, pts[35], 0.5f)};
}

// All regions for one face. `pts` must hold 68 points in the dlib-68 layout, in pixels of
// an image of `size`; points outside the image are fine (regions are clipped). Returns
// empty masks when pts.size() != 68.
inline FaceRegions face_regions(cv::Size size, const std::vector<cv::Point2f>& pts) {
  using detail::fill;
  using detail::pick;
  FaceRegions r;
  r.labels = cv::Mat::zeros(size, CV_8UC1);
  r.eyeshadow = cv::Mat::zeros(size, CV_8UC1);
  r.cheeks = cv::Mat::zeros(size, CV_8UC1);
  if (pts.size() != 68) return r;
  const cv::Point2f up = face_up(pts);
  const float nose = nose_length(pts);

  // Face skin: hull of jaw + forehead.
  std::vector<cv::Point2f> outline(pts.begin(), pts.begin() + 17);
  for (const auto& p : forehead_points(pts)) outline.push_back(p);
  fill(r.labels, detail::hull(outline), kMtSkin);

  // Nose: bridge top widened a little, down to the nostrils.
  {
    const cv::Point2f side = cv::Point2f(-up.y, up.x) * (0.12f * nose);
    std::vector<cv::Point2f> n = {pts[27] + side, pts[27] - side};
    for (int i : {35, 34, 33, 32, 31}) n.push_back(pts[static_cast<std::size_t>(i)]);
    fill(r.labels, detail::hull(n), kMtNose);
  }

  // Brows: a band around each brow line, thickness from the nose length.
  const float brow_thickness = 0.22f * nose;
  fill(r.labels, detail::brow_band(pts, 17, up, brow_thickness), kMtLeftBrow);
  fill(r.labels, detail::brow_band(pts, 22, up, brow_thickness), kMtRightBrow);

  // Eyeshadow band (makeup only): from the upper eye contour up to just under the brow,
  // excluding the eye and the brow themselves.
  {
    auto band = [&](int eye0, int brow0) {
      // eye0: outer..inner corner order differs per side; take the four upper-contour points.
      std::vector<cv::Point2f> poly;
      const std::array<int, 4> upper = eye0 == 36 ? std::array<int, 4>{36, 37, 38, 39}
                                                  : std::array<int, 4>{42, 43, 44, 45};
      for (int i : upper) poly.push_back(pts[static_cast<std::size_t>(i)]);
      // Back along the brow, lowered by half its thickness, matching the eye's direction.
      std::vector<cv::Point2f> brow;
      for (int i = 0; i < 5; ++i) brow.push_back(pts[static_cast<std::size_t>(brow0 + i)] - up * (0.5f * brow_thickness));
      // Brow 17-21 runs outer -> inner like eye 36 -> 39; brow 22-26 inner -> outer like 42 -> 45.
      for (auto it = brow.rbegin(); it != brow.rend(); ++it) poly.push_back(*it);
      fill(r.eyeshadow, poly, 255);
    };
    band(36, 17);
    band(42, 22);
  }

  // Eyes.
  fill(r.labels, pick(pts, {36, 37, 38, 39, 40, 41}), kMtLeftEye);
  fill(r.labels, pick(pts, {42, 43, 44, 45, 46, 47}), kMtRightEye);

  // Lips: upper = outer top contour + inner top contour; lower likewise; inner mouth = teeth.
  fill(r.labels, pick(pts, {48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60}), kMtUpperLip);
  fill(r.labels, pick(pts, {48, 59, 58, 57, 56, 55, 54, 64, 65, 66, 67, 60}), kMtLowerLip);
  fill(r.labels, pick(pts, {60, 61, 62, 63, 64, 65, 66, 67}), kMtTeeth);

  // Eyeshadow never covers the eye or the brow.
  cv::Mat keep = (r.labels != kMtLeftEye) & (r.labels != kMtRightEye) & (r.labels != kMtLeftBrow) &
                 (r.labels != kMtRightBrow);
  r.eyeshadow &= keep;

  // Cheeks (makeup only): ellipses at the apexes, kept to face skin.
  {
    const auto apex = cheek_apexes(pts);
    const float angle = static_cast<float>(std::atan2(up.x, -up.y) * 180.0 / CV_PI);
    const float rx = 0.42f * nose, ry = 0.30f * nose;
    for (const auto& c : apex)
      cv::ellipse(r.cheeks, cv::RotatedRect(c, cv::Size2f(2 * rx, 2 * ry), angle), cv::Scalar(255), cv::FILLED);
    r.cheeks &= (r.labels == kMtSkin);
  }
  return r;
}

// 0/255 mask of the pixels whose label is one of `values`.
inline cv::Mat label_mask(const cv::Mat& labels, std::initializer_list<int> values) {
  cv::Mat m = cv::Mat::zeros(labels.size(), CV_8UC1);
  for (int v : values) m |= (labels == v);
  return m;
}

// A canonical frontal face in the unit square (x right, y down; the face's box is roughly
// [0,1]^2): 68 points in the dlib-68 layout, symmetric under kDlib68Mirror. Drawn from
// simple curves (an elliptic jaw, arched brows, almond eyes), not from any dataset. Used
// by the synthetic face generator as its base shape and by tests as a known face.
inline std::vector<cv::Point2f> canonical_landmarks68() {
  std::vector<cv::Point2f> p(68);
  // Jaw 0..16: lower half of a squarish ellipse from the left ear to the right ear.
  for (int i = 0; i <= 16; ++i) {
    const double th = CV_PI - i * CV_PI / 16.0;  // pi .. 0, through pi/2 at the chin
    const double c = std::cos(th), s = std::sin(th);
    const double sx = (c < 0 ? -1 : 1) * std::pow(std::abs(c), 0.8);  // squarer jaw
    p[static_cast<std::size_t>(i)] = {static_cast<float>(0.5 + 0.45 * sx), static_cast<float>(0.36 + 0.62 * s)};
  }
  // Left brow 17..21 (outer -> inner), arched; right brow mirrored.
  const std::array<cv::Point2f, 5> brow = {cv::Point2f{0.13f, 0.265f}, {0.20f, 0.215f}, {0.28f, 0.200f},
                                           {0.36f, 0.210f}, {0.43f, 0.235f}};
  for (int i = 0; i < 5; ++i) {
    p[static_cast<std::size_t>(17 + i)] = brow[static_cast<std::size_t>(i)];
    p[static_cast<std::size_t>(26 - i)] = {1.0f - brow[static_cast<std::size_t>(i)].x, brow[static_cast<std::size_t>(i)].y};
  }
  // Nose bridge 27..30, nostrils 31..35.
  const std::array<float, 4> bridge = {0.34f, 0.43f, 0.52f, 0.60f};
  for (int i = 0; i < 4; ++i) p[static_cast<std::size_t>(27 + i)] = {0.5f, bridge[static_cast<std::size_t>(i)]};
  p[31] = {0.41f, 0.645f};
  p[32] = {0.45f, 0.660f};
  p[33] = {0.50f, 0.670f};
  p[34] = {0.55f, 0.660f};
  p[35] = {0.59f, 0.645f};
  // Left eye 36..41: outer corner, upper lid x2, inner corner, lower lid x2; right mirrored.
  const std::array<cv::Point2f, 6> eye = {cv::Point2f{0.205f, 0.375f}, {0.26f, 0.345f}, {0.33f, 0.345f},
                                          {0.385f, 0.378f}, {0.33f, 0.395f}, {0.26f, 0.395f}};
  for (int i = 0; i < 6; ++i) p[static_cast<std::size_t>(36 + i)] = eye[static_cast<std::size_t>(i)];
  // 42 = mirror(39), 43 = mirror(38), 44 = mirror(37), 45 = mirror(36), 46 = mirror(41), 47 = mirror(40)
  const std::array<int, 6> src = {39, 38, 37, 36, 41, 40};
  for (int i = 0; i < 6; ++i) {
    const auto q = p[static_cast<std::size_t>(src[static_cast<std::size_t>(i)])];
    p[static_cast<std::size_t>(42 + i)] = {1.0f - q.x, q.y};
  }
  // Outer lip 48..59 and inner lip 60..67.
  const std::array<cv::Point2f, 12> outer = {
      cv::Point2f{0.355f, 0.790f}, {0.405f, 0.762f}, {0.455f, 0.748f}, {0.50f, 0.756f}, {0.545f, 0.748f},
      {0.595f, 0.762f}, {0.645f, 0.790f}, {0.595f, 0.832f}, {0.545f, 0.852f}, {0.50f, 0.857f},
      {0.455f, 0.852f}, {0.405f, 0.832f}};
  for (int i = 0; i < 12; ++i) p[static_cast<std::size_t>(48 + i)] = outer[static_cast<std::size_t>(i)];
  const std::array<cv::Point2f, 8> inner = {cv::Point2f{0.375f, 0.791f}, {0.45f, 0.784f}, {0.50f, 0.787f},
                                            {0.55f, 0.784f}, {0.625f, 0.791f}, {0.55f, 0.800f},
                                            {0.50f, 0.803f}, {0.45f, 0.800f}};
  for (int i = 0; i < 8; ++i) p[static_cast<std::size_t>(60 + i)] = inner[static_cast<std::size_t>(i)];
  return p;
}

}  // namespace kohl::sdk::face

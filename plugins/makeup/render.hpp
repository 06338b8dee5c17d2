// The makeup renderer's drawing: layers of colour blended in CIELAB from the dlib-68
// landmarks and the SDK's face regions (kohl/sdk/face_regions.hpp).
//
// Blending model (per layer, per pixel x of the layer's feathered mask alpha(x)):
//   region means (L0, a0, b0) over the layer's hard region, local mean Lloc = Gaussian of L*
//   new L* = Lt + shading * (Lloc - L0) + detail * (L - Lloc)
//   new a* = at + chroma * (a - a0),  new b* likewise
//   out    = in + alpha(x) * (new - in)
// so at alpha 1 the region's mean becomes the target while the skin's shading and texture
// (the lightness detail L - Lloc) stay; chroma variation is partly evened, as pigment does.
// alpha(x) = opacity * (binary region blurred by a Gaussian truncated at the feather
// radius): pixels farther than the radius from every region are never touched (bit-exact).
//
// Thread-safety: pure functions on the caller's data; no shared state.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

#include "palette.hpp"

namespace kohl::makeup {

// Feather radii in nose lengths (face::nose_length, landmarks 27 -> 33), at least 1 px.
// Nothing is changed farther than the radius from its region (documented in docs/faces.md;
// tests/faces/makeup.test.cpp checks these numbers).
constexpr double kLipFeather = 0.035;            // lips (labels 7, 9)
constexpr double kEyeshadowFeatherMin = 0.06;    // eyeshadow band, at spread 0 ...
constexpr double kEyeshadowFeatherMax = 0.16;    // ... and at spread 1
constexpr double kBlushFeather = 0.22;           // cheeks (the radial fade below stays inside it)
constexpr double kFoundationFeather = 0.10;      // fade-in inside the face outline (labels != 0); none outside
constexpr double kFoundationInnerFeather = 0.03; // kept off eyes, brows, lips, teeth: 2x this wide
constexpr double kEyelinerFeather = 0.012;       // the liner shape (upper lid 36-39, 42-45)
constexpr double kEyelinerMaxWidth = 0.07;       // liner width at thickness 1, nose lengths
constexpr double kEyelinerMaxWing = 0.13;        // wing length past the outer corner at thickness 1

// Blush profile in the cheek ellipse's radius r (1 on face_regions' cheek ellipse, whose
// semi-axes are kCheekRx, kCheekRy nose lengths): solid to kBlushSolid, none from kBlushEdge.
constexpr double kCheekRx = 0.42, kCheekRy = 0.30;  // as in face_regions()
constexpr double kBlushSolid = 0.5, kBlushEdge = 1.3;

// The feather radius in pixels for a factor above and a face's nose length.
int feather_px(double factor, float nose_length);

// One face of one image: converts the face's area to Lab once, draws layers into it, and
// writes back only the pixels some layer touched.
class FaceCanvas {
 public:
  // bgr: CV_8UC3 (read here; commit() writes); pts: 68 dlib-68 points in bgr's pixels.
  FaceCanvas(const cv::Mat& bgr, const std::vector<cv::Point2f>& pts);

  // False when the face lies entirely outside the image (nothing to draw).
  bool has_face() const { return !lab_.empty(); }
  // Mean Lab of the face skin region (label 1) as it is now; the random foundation's anchor.
  // A neutral light skin when the region is empty.
  Lab skin_mean() const;
  // Draws every present item: foundation, blush, eyeshadow, eyeliner, lipstick (+ gloss).
  void draw(const Palette& palette);
  // Writes the touched pixels into bgr (the same size as the constructor's image).
  void commit(cv::Mat& bgr) const;

 private:
  struct Gains {
    double shading = 1.0, detail = 1.0, chroma = 1.0;
  };
  // Blends `target` into lab_ inside `rect` (roi coordinates) with weight `alpha`
  // (CV_32F, rect size); the region means come from `region` (CV_8U, rect size, non-zero).
  void blend(const cv::Rect& rect, const cv::Mat& alpha, const cv::Mat& region, const Lab& target,
             const Gains& gains);
  cv::Rect around(const cv::Mat& mask, int margin) const;  // bounding box of mask, grown, clipped
  void foundation(const Foundation& f);
  void blush(const Blush& b);
  void eyeshadow(const Eyeshadow& e);
  void eyeliner(const Eyeliner& e);
  void lipstick(const Lipstick& l);

  cv::Rect roi_;                 // the face's area in the image
  std::vector<cv::Point2f> pts_; // landmarks in roi coordinates
  float nose_ = 1.0f;
  cv::Mat labels_, eyeshadow_band_, cheeks_;  // face regions, roi size
  cv::Mat lab_;                  // CV_32FC3 working copy, roi size
  cv::Mat touched_;              // CV_8U, roi size: 255 where a layer had alpha > 0
};

}  // namespace kohl::makeup

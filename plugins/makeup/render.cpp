// The makeup renderer's drawing. See render.hpp for the blending model.
#include "render.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "kohl/sdk/color.hpp"
#include "kohl/sdk/face_regions.hpp"

namespace kohl::makeup {

namespace face = sdk::face;

namespace {

// Feathers a 0/255 (CV_8U) or 0..1 (CV_32F) mask: a Gaussian (sigma r/2) truncated to a
// (2r+1)^2 window, so the result is exactly 0 farther than r pixels (Chebyshev) from the mask.
cv::Mat feather(const cv::Mat& mask, int r) {
  cv::Mat f;
  if (mask.type() == CV_8U) mask.convertTo(f, CV_32F, 1.0 / 255.0);
  else f = mask.clone();
  cv::GaussianBlur(f, f, cv::Size(2 * r + 1, 2 * r + 1), r / 2.0, r / 2.0, cv::BORDER_REPLICATE);
  return f;
}

// 0/1 float of the pixels whose label is NOT one of `values` (hard protection).
cv::Mat keep_out(const cv::Mat& labels, std::initializer_list<int> values) {
  cv::Mat keep;
  cv::Mat m = face::label_mask(labels, values);
  cv::Mat(m == 0).convertTo(keep, CV_32F, 1.0 / 255.0);
  return keep;
}

cv::Mat square(int r) { return cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * r + 1, 2 * r + 1)); }
cv::Mat disc(int r) { return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)); }

double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / std::max(1e-9, e1 - e0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

cv::Point2f unit(cv::Point2f v) {
  const float n = std::hypot(v.x, v.y);
  return n > 0 ? v / n : cv::Point2f(1, 0);
}

// Lightness detail kept under a darker colour: reflectance multiplies, so a dark pigment
// shows less of the skin's relief than a light one; never below 0.6 so texture stays.
double darken_gain(double target_L, double region_L) {
  return std::clamp(std::sqrt(std::max(target_L, 0.0) / std::max(region_L, 1.0)), 0.6, 1.0);
}

// Lab -> 8-bit BGR as sdk::color::lab_to_bgr8 (same matrices and clipping), with the sRGB
// encode done by a search over the 255 linear-light thresholds between 8-bit codes
// instead of pow(): the same bytes (up to values within ~1e-15 of a threshold), 3-4x
// faster; writing back is the renderer's largest cost after the colour conversion in.
class Bgr8Encoder {
 public:
  Bgr8Encoder() {
    threshold_[0] = -1.0;
    for (int k = 1; k < 256; ++k)
      threshold_[static_cast<std::size_t>(k)] = sdk::color::detail::srgb_decode((k - 0.5) / 255.0);
  }
  cv::Vec3b operator()(float L, float a, float b) const {
    namespace d = sdk::color::detail;
    const double fy = (L + 16.0) / 116.0;
    const double fx = a / 500.0 + fy;
    const double fz = std::max(fy - b / 200.0, 0.0);
    const double x = d::lab_f_inv(fx) * d::kWhiteX, y = d::lab_f_inv(fy) * d::kWhiteY, z = d::lab_f_inv(fz) * d::kWhiteZ;
    const auto& m = d::rgb_from_xyz().m;
    cv::Vec3b out;
    for (int i = 0; i < 3; ++i) out[2 - i] = code(m[i][0] * x + m[i][1] * y + m[i][2] * z);
    return out;
  }

 private:
  std::uint8_t code(double lin) const {
    int k = 0;  // the largest code whose threshold lin reaches
    for (int step = 128; step > 0; step >>= 1)
      if (threshold_[static_cast<std::size_t>(k + step)] <= lin) k += step;
    return static_cast<std::uint8_t>(k);
  }
  std::array<double, 256> threshold_{};  // [k]: the linear value from which code k is chosen
};

const Bgr8Encoder& encoder() {
  static const Bgr8Encoder e;
  return e;
}

}  // namespace

int feather_px(double factor, float nose_length) {
  return std::max(1, static_cast<int>(std::lround(factor * nose_length)));
}

FaceCanvas::FaceCanvas(const cv::Mat& bgr, const std::vector<cv::Point2f>& pts) {
  nose_ = face::nose_length(pts);
  std::vector<cv::Point2f> all = pts;
  for (const auto& p : face::forehead_points(pts)) all.push_back(p);
  cv::Rect box = cv::boundingRect(all);
  // Every layer stays within its feather radius of the regions, which lie inside the hull
  // of the landmarks and forehead; the margin keeps feathering (and the local-mean blur)
  // off the area's edge wherever the image continues.
  const int margin = feather_px(std::max({kBlushFeather, kEyeshadowFeatherMax, kFoundationFeather}), nose_) + 3;
  box.x -= margin;
  box.y -= margin;
  box.width += 2 * margin;
  box.height += 2 * margin;
  roi_ = box & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (roi_.empty()) return;

  pts_.reserve(pts.size());
  const cv::Point2f tl(static_cast<float>(roi_.x), static_cast<float>(roi_.y));
  for (const auto& p : pts) pts_.push_back(p - tl);
  face::FaceRegions r = face::face_regions(roi_.size(), pts_);
  labels_ = r.labels;
  eyeshadow_band_ = r.eyeshadow;
  cheeks_ = r.cheeks;
  lab_ = sdk::color::bgr8_to_lab(bgr(roi_));
  touched_ = cv::Mat::zeros(roi_.size(), CV_8U);
}

Lab FaceCanvas::skin_mean() const {
  if (lab_.empty()) return {65.0, 12.0, 18.0};
  const cv::Mat skin = labels_ == face::kMtSkin;
  if (cv::countNonZero(skin) == 0) return {65.0, 12.0, 18.0};
  const cv::Scalar m = cv::mean(lab_, skin);
  return {m[0], m[1], m[2]};
}

cv::Rect FaceCanvas::around(const cv::Mat& mask, int margin) const {
  cv::Rect b = cv::boundingRect(mask);
  if (b.empty()) return {};
  b.x -= margin;
  b.y -= margin;
  b.width += 2 * margin;
  b.height += 2 * margin;
  return b & cv::Rect(0, 0, lab_.cols, lab_.rows);
}

void FaceCanvas::blend(const cv::Rect& rect, const cv::Mat& alpha, const cv::Mat& region, const Lab& t,
                       const Gains& g) {
  if (cv::countNonZero(region) == 0) return;
  cv::Mat lab = lab_(rect);
  const cv::Scalar m = cv::mean(lab, region);
  cv::Mat L, Lloc;
  cv::extractChannel(lab, L, 0);
  const double sigma = std::max(1.0, 0.05 * nose_);
  cv::GaussianBlur(L, Lloc, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::Mat touched = touched_(rect);
  for (int y = 0; y < rect.height; ++y) {
    const float* al = alpha.ptr<float>(y);
    const float* lloc = Lloc.ptr<float>(y);
    float* p = lab.ptr<float>(y);
    std::uint8_t* tch = touched.ptr<std::uint8_t>(y);
    for (int x = 0; x < rect.width; ++x, p += 3) {
      const double w = al[x];
      if (!(w > 0.0)) continue;
      const double nl = std::clamp(t.L + g.shading * (lloc[x] - m[0]) + g.detail * (p[0] - lloc[x]), 0.0, 100.0);
      const double na = t.a + g.chroma * (p[1] - m[1]);
      const double nb = t.b + g.chroma * (p[2] - m[2]);
      p[0] = static_cast<float>(p[0] + w * (nl - p[0]));
      p[1] = static_cast<float>(p[1] + w * (na - p[1]));
      p[2] = static_cast<float>(p[2] + w * (nb - p[2]));
      tch[x] = 255;
    }
  }
}

void FaceCanvas::draw(const Palette& palette) {
  if (lab_.empty()) return;
  // Base first, then colour on top, liner and lips last: the order a person applies them.
  if (palette.foundation) foundation(*palette.foundation);
  if (palette.blush) blush(*palette.blush);
  if (palette.eyeshadow) eyeshadow(*palette.eyeshadow);
  if (palette.eyeliner) eyeliner(*palette.eyeliner);
  if (palette.lip) lipstick(*palette.lip);
}

void FaceCanvas::commit(cv::Mat& bgr) const {
  if (lab_.empty()) return;
  cv::Mat out = bgr(roi_);
  const Bgr8Encoder& enc = encoder();
  for (int y = 0; y < roi_.height; ++y) {
    const std::uint8_t* tch = touched_.ptr<std::uint8_t>(y);
    const float* p = lab_.ptr<float>(y);
    cv::Vec3b* o = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < roi_.width; ++x)
      if (tch[x]) o[x] = enc(p[3 * x], p[3 * x + 1], p[3 * x + 2]);
  }
}

// Foundation: face skin and nose, fading in over R inside the face outline (whose forehead
// and jaw are estimates; nothing spills onto hair or background), kept off the eyes, brows,
// lips and mouth with a narrow feather. Coverage is
// its opacity and also evens out skin detail and blotchy chroma (what coverage means).
void FaceCanvas::foundation(const Foundation& f) {
  const int R = feather_px(kFoundationFeather, nose_);
  const int ri = feather_px(kFoundationInnerFeather, nose_);
  const cv::Mat hull = labels_ != face::kMtBackground;
  const cv::Rect rect = around(hull, R + 2);
  if (rect.empty()) return;
  const cv::Mat labels = labels_(rect);
  cv::Mat excl = face::label_mask(labels, {face::kMtLeftBrow, face::kMtRightBrow, face::kMtLeftEye,
                                           face::kMtRightEye, face::kMtUpperLip, face::kMtTeeth, face::kMtLowerLip});
  cv::dilate(excl, excl, square(ri));
  cv::Mat keep = 1.0 - feather(excl, ri);
  keep = keep.mul(keep_out(labels, {face::kMtLeftBrow, face::kMtRightBrow, face::kMtLeftEye, face::kMtRightEye,
                                    face::kMtUpperLip, face::kMtTeeth, face::kMtLowerLip}));
  cv::Mat inside;
  cv::erode(hull(rect), inside, square(R));
  cv::Mat alpha = feather(inside, R).mul(keep) * f.coverage;
  const cv::Mat region = face::label_mask(labels, {face::kMtSkin, face::kMtNose});
  Gains g;
  g.detail = 1.0 - 0.5 * f.coverage;
  g.chroma = 1.0 - 0.6 * f.coverage;
  blend(rect, alpha, region, f.lab, g);
}

// Blush: a soft radial flush around each cheek apex, in the cheek ellipse's own
// coordinates (face_regions: kCheekRx x kCheekRy nose lengths, tilted with the face): solid
// out to half the ellipse (r = kBlushSolid), fading to nothing at r = kBlushEdge, so it
// reads as colour on the apples of the cheeks rather than a patch with an outline.
void FaceCanvas::blush(const Blush& b) {
  const int R = feather_px(kBlushFeather, nose_);
  const cv::Rect rect = around(cheeks_, R + 2);
  if (rect.empty()) return;
  const cv::Point2f tl(static_cast<float>(rect.x), static_cast<float>(rect.y));
  const cv::Point2f up = face::face_up(pts_), across(-up.y, up.x);
  const auto apex = face::cheek_apexes(pts_);
  const double rx = kCheekRx * nose_, ry = kCheekRy * nose_;
  cv::Mat alpha(rect.size(), CV_32F);
  for (int y = 0; y < rect.height; ++y) {
    float* a = alpha.ptr<float>(y);
    for (int x = 0; x < rect.width; ++x) {
      const cv::Point2f p = cv::Point2f(static_cast<float>(x), static_cast<float>(y)) + tl;
      double w = 0.0;
      for (const auto& c : apex) {
        const cv::Point2f d = p - c;
        const double r = std::hypot(d.dot(across) / rx, d.dot(up) / ry);
        w = std::max(w, 1.0 - smoothstep(kBlushSolid, kBlushEdge, r));
      }
      a[x] = static_cast<float>(w);
    }
  }
  // Soft at the face outline (no hard cut where the fade crosses it), hard at the features.
  const int ri = feather_px(kFoundationInnerFeather, nose_);
  cv::Mat inside;
  cv::erode(labels_(rect) != face::kMtBackground, inside, square(ri));
  alpha = alpha.mul(feather(inside, ri));
  alpha = alpha.mul(keep_out(labels_(rect), {face::kMtLeftEye, face::kMtRightEye, face::kMtUpperLip, face::kMtTeeth,
                                              face::kMtLowerLip, face::kMtLeftBrow, face::kMtRightBrow})) * b.opacity;
  Gains g;
  g.chroma = 0.5;
  blend(rect, alpha, cheeks_(rect), b.lab, g);
}

// Eyeshadow: densest on the lid, fading toward the brow. Each band pixel's relative height
// t = d_eye / (d_eye + d_brow) is 0 at the lash line and 1 under the brow; the colour is
// solid up to t0 = 0.15 + 0.5 * spread and fades out over the next 0.45 (a gradient up to
// the crease and beyond, as a brush leaves it). The shape is then
// feathered outwards only (grey dilation by R/2, then a blur of radius R/2): it stays solid
// down to the lash line, where the eye (never coloured) cuts it, and softens into the skin
// around it; R grows with spread. Brows keep most of their own colour.
void FaceCanvas::eyeshadow(const Eyeshadow& e) {
  const int R = feather_px(kEyeshadowFeatherMin + (kEyeshadowFeatherMax - kEyeshadowFeatherMin) * e.spread, nose_);
  const int half = std::max(1, R / 2);
  const cv::Rect rect = around(eyeshadow_band_, 2 * half + 2);
  if (rect.empty()) return;
  const cv::Mat labels = labels_(rect);
  const cv::Mat band = eyeshadow_band_(rect);
  const cv::Mat eyes = face::label_mask(labels, {face::kMtLeftEye, face::kMtRightEye});
  const cv::Mat brows = face::label_mask(labels, {face::kMtLeftBrow, face::kMtRightBrow});
  cv::Mat d_eye, d_brow;
  cv::distanceTransform(eyes == 0, d_eye, cv::DIST_L2, 3);
  cv::distanceTransform(brows == 0, d_brow, cv::DIST_L2, 3);
  const double t0 = 0.15 + 0.5 * e.spread, t1 = t0 + 0.45;
  cv::Mat shape = cv::Mat::zeros(band.size(), CV_32F);
  for (int y = 0; y < band.rows; ++y) {
    const std::uint8_t* b = band.ptr<std::uint8_t>(y);
    const float* de = d_eye.ptr<float>(y);
    const float* db = d_brow.ptr<float>(y);
    float* s = shape.ptr<float>(y);
    for (int x = 0; x < band.cols; ++x) {
      if (!b[x]) continue;
      const double t = de[x] / std::max(1e-3, static_cast<double>(de[x]) + db[x]);
      s[x] = static_cast<float>(1.0 - smoothstep(t0, t1, t));
    }
  }
  cv::dilate(shape, shape, disc(half));
  cv::Mat protect;
  cv::Mat(eyes == 0).convertTo(protect, CV_32F, 1.0 / 255.0);
  cv::Mat brow_part;
  brows.convertTo(brow_part, CV_32F, 0.75 / 255.0);
  protect -= brow_part;
  cv::Mat alpha = feather(shape, half).mul(protect) * e.opacity;
  Gains g;
  g.detail = darken_gain(e.lab.L, cv::mean(lab_(rect), band)[0]);
  g.chroma = 0.3;
  blend(rect, alpha, band, e.lab, g);
}

// Eyeliner: a band along the upper lid (36-39, 42-45), thickest at the outer corner and
// tapering to the inner one, sitting on the lash line and growing upward, with a short
// wing past the outer corner; both scale with thickness.
void FaceCanvas::eyeliner(const Eyeliner& e) {
  const cv::Point2f up = face::face_up(pts_);
  const float width = static_cast<float>((0.02 + (kEyelinerMaxWidth - 0.02) * e.thickness) * nose_);
  const float wing = static_cast<float>((0.03 + (kEyelinerMaxWing - 0.03) * e.thickness) * nose_);
  const std::array<float, 4> taper = {1.0f, 0.85f, 0.55f, 0.2f};
  cv::Mat shape = cv::Mat::zeros(lab_.size(), CV_8U);
  for (const auto& lid : {std::array<int, 4>{36, 37, 38, 39}, std::array<int, 4>{45, 44, 43, 42}}) {
    std::vector<cv::Point2f> poly;
    const cv::Point2f outer = pts_[static_cast<std::size_t>(lid[0])];
    const cv::Point2f out_dir = unit(unit(outer - pts_[static_cast<std::size_t>(lid[1])]) + up * 0.5f);
    poly.push_back(outer + out_dir * wing);
    for (int i = 0; i < 4; ++i)
      poly.push_back(pts_[static_cast<std::size_t>(lid[static_cast<std::size_t>(i)])] + up * (width * taper[static_cast<std::size_t>(i)]));
    for (int i = 3; i >= 0; --i)
      poly.push_back(pts_[static_cast<std::size_t>(lid[static_cast<std::size_t>(i)])] - up * (0.2f * width * taper[static_cast<std::size_t>(i)]));
    constexpr int kShift = 4;
    std::vector<cv::Point> q;
    for (const auto& p : poly) q.emplace_back(cvRound(p.x * (1 << kShift)), cvRound(p.y * (1 << kShift)));
    const cv::Point* qp = q.data();
    const int n = static_cast<int>(q.size());
    cv::fillPoly(shape, &qp, &n, 1, cv::Scalar(255), cv::LINE_AA, kShift);
  }
  const int R = feather_px(kEyelinerFeather, nose_);
  const cv::Rect rect = around(shape, R + 2);
  if (rect.empty()) return;
  const cv::Mat alpha = feather(shape(rect), R) * e.opacity;
  const cv::Mat region = shape(rect) >= 128;
  Gains g;
  g.shading = 0.5;
  g.detail = 0.5;
  g.chroma = 0.2;
  blend(rect, alpha, region, e.lab, g);
}

// Lipstick on the lips (never the teeth); matte flattens the relief a little, gloss keeps it
// and adds specular highlights strictly inside the lips: a broad one across the middle of
// the lower lip, two small ones on the upper lip's bows, modulated by the lips' own
// lightness detail so they sparkle along the texture instead of sitting on it as a sticker.
void FaceCanvas::lipstick(const Lipstick& l) {
  const int R = feather_px(kLipFeather, nose_);
  const cv::Mat lips_all = face::label_mask(labels_, {face::kMtUpperLip, face::kMtLowerLip});
  const cv::Rect rect = around(lips_all, R + 2);
  if (rect.empty()) return;
  const cv::Mat labels = labels_(rect);
  const cv::Mat lips = lips_all(rect);
  const cv::Mat alpha = feather(lips, R).mul(keep_out(labels, {face::kMtTeeth})) * l.opacity;
  Gains g;
  g.detail = darken_gain(l.lab.L, cv::mean(lab_(rect), lips)[0]) * (l.gloss ? 1.0 : 0.85);
  g.chroma = 0.4;
  blend(rect, alpha, lips, l.lab, g);
  if (!l.gloss) return;

  // Highlight field h in [0, 1], rect coordinates.
  const cv::Point2f tl(static_cast<float>(rect.x), static_cast<float>(rect.y));
  auto P = [&](int i) { return pts_[static_cast<std::size_t>(i)] - tl; };
  const cv::Point2f u = unit(P(54) - P(48)), v(-u.y, u.x);
  const float mouth_w = std::max(1.0f, static_cast<float>(cv::norm(P(54) - P(48))));
  struct Blob {
    cv::Point2f c;
    float su, sv, amp;
  };
  const float lower_h = std::max(1.0f, static_cast<float>(cv::norm(P(57) - P(66))));
  const float upper_h = std::max(1.0f, static_cast<float>(cv::norm(P(50) - P(61))));
  const std::array<Blob, 3> blobs = {{
      {P(66) + (P(57) - P(66)) * 0.45f, 0.15f * mouth_w, 0.20f * lower_h, 1.0f},
      {P(50) + (P(61) - P(50)) * 0.5f, 0.06f * mouth_w, 0.22f * upper_h, 0.6f},
      {P(52) + (P(63) - P(52)) * 0.5f, 0.06f * mouth_w, 0.22f * upper_h, 0.6f},
  }};
  cv::Mat inner;
  cv::erode(lips, inner, square(R));
  const cv::Mat inside = feather(inner, R);  // zero outside the lips: the erosion makes room
  cv::Mat lab = lab_(rect), L, Lloc;
  cv::extractChannel(lab, L, 0);
  const double sigma = std::max(1.0, 0.03 * nose_);
  cv::GaussianBlur(L, Lloc, cv::Size(), sigma, sigma, cv::BORDER_REFLECT);
  cv::Mat touched = touched_(rect);
  constexpr double kLift = 45.0;  // L* added at the centre of a full highlight on a black lip
  for (int y = 0; y < rect.height; ++y) {
    const float* in = inside.ptr<float>(y);
    const float* ll = Lloc.ptr<float>(y);
    float* p = lab.ptr<float>(y);
    std::uint8_t* tch = touched.ptr<std::uint8_t>(y);
    for (int x = 0; x < rect.width; ++x, p += 3) {
      if (!(in[x] > 0.0f)) continue;
      double h = 0.0;
      for (const auto& b : blobs) {
        const cv::Point2f d = cv::Point2f(static_cast<float>(x), static_cast<float>(y)) - b.c;
        const double du = d.dot(u) / b.su, dv = d.dot(v) / b.sv;
        h += b.amp * std::exp(-0.5 * (du * du + dv * dv));
      }
      const double sparkle = std::clamp(1.0 + 0.15 * (p[0] - ll[x]), 0.2, 2.0);
      h = std::min(1.0, h * h * sparkle) * in[x] * l.opacity;
      if (!(h > 0.0)) continue;
      p[0] = static_cast<float>(std::min(100.0, p[0] + h * kLift * (1.0 - p[0] / 110.0)));
      p[1] = static_cast<float>(p[1] * (1.0 - 0.5 * h));
      p[2] = static_cast<float>(p[2] * (1.0 - 0.5 * h));
      tch[x] = 255;
    }
  }
}

}  // namespace kohl::makeup

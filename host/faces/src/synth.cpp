// Synthetic faces (see synth.hpp). How a face is made:
//   1. Draws: skin colour (a Monk shade, jittered, hue moved to a cool/neutral/warm
//      undertone, kept nearest to its shade), face shape, pose, lighting, hair, eyes, lips,
//      background. Every draw comes from one Rng seeded by (seed, index).
//   2. Landmarks: canonical_landmarks68() deformed (shape), turned on a pseudo-depth (yaw,
//      pitch), rotated in the image plane (roll), scaled and placed: the exact 68 points.
//   3. Painting at 2x (supersampled, then area-downsampled): background, back hair, neck,
//      clothes, ears, face skin with its shading (directional light, a rounded falloff,
//      eye sockets, nose sides, shadows under nose, lip and jaw), brows, eyes (sclera,
//      iris, pupil, catchlight, lash line, crease), nostrils, lips, front hair, grain.
//      Every region that has a label is painted from the same polygons face_regions()
//      labels, so the mask and the picture agree.
//   4. Labels: face_regions(size, landmarks).labels plus hair / ears / neck where their
//      painted coverage is at least half a pixel, in painting order.
// HOG (dlib's frontal detector) keys on the dark eye sockets and brows, the nose's vertical
// shading, the mouth line and the face's outline against the background: those are drawn
// with real contrast even on the darkest skin shades.
#include "kohl/faces/synth.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "kohl/core/codecs.hpp"
#include "kohl/core/dataset.hpp"
#include "kohl/core/formats.hpp"
#include "kohl/core/version.hpp"
#include "kohl/faces/makeup_client.hpp"
#include "kohl/sdk/color.hpp"
#include "kohl/sdk/face_regions.hpp"
#include "kohl/sdk/layouts.hpp"
#include "kohl/sdk/sample.hpp"

namespace kohl::faces {

namespace {

namespace fs = std::filesystem;
namespace color = sdk::color;
namespace face = sdk::face;
using sdk::Json;
using sdk::Status;
using Poly = std::vector<cv::Point2f>;

constexpr double kPi = 3.14159265358979323846;

// ---- random draws -------------------------------------------------------------------------
// splitmix64 and our own uniform/normal: the same numbers on every standard library.

std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One independent stream per (seed, index, stream).
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t index, std::uint64_t stream) {
  std::uint64_t h = mix64(seed + 0x6B6F686C73796E74ull);  // "kohlsynt"
  h = mix64(h ^ (index * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull));
  return mix64(h ^ (stream * 0xD6E8FEB86659FD93ull + 1));
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    return mix64(state_);
  }
  double uniform() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  float uf(double a, double b) { return static_cast<float>(uniform(a, b)); }
  int integer(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1)); }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();  // u1 in (0, 1]
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }
  // Picks an index by weights.
  template <std::size_t N>
  int pick(const std::array<double, N>& w) {
    double total = 0;
    for (double x : w) total += x;
    double r = uniform() * total;
    for (std::size_t i = 0; i < N; ++i) {
      if (r < w[i]) return static_cast<int>(i);
      r -= w[i];
    }
    return static_cast<int>(N - 1);
  }

 private:
  std::uint64_t state_;
};

// ---- colours --------------------------------------------------------------------------------

cv::Vec3f bgr_of(const color::Lab& lab) {
  const auto rgb = color::lab_to_srgb(lab);
  return {static_cast<float>(rgb[2] * 255.0), static_cast<float>(rgb[1] * 255.0), static_cast<float>(rgb[0] * 255.0)};
}

color::Lab lab_polar(double L, double chroma, double hue_deg) {
  const double h = hue_deg * kPi / 180.0;
  return {L, chroma * std::cos(h), chroma * std::sin(h)};
}

Json lab_json(const color::Lab& c) {
  auto r = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  return Json::array({r(c.L), r(c.a), r(c.b)});
}

// ---- what one face is made of ---------------------------------------------------------------

struct Draws {
  // skin
  int monk = 1;
  color::Lab skin;
  std::string undertone_target;
  // shape (unit face coordinates, canonical_landmarks68's frame)
  float face_w, lower_h, jaw_narrow, eye_scale, eye_open, eye_spacing, eye_y, eye_tilt_deg, brow_y, brow_arch,
      nose_len, nose_w, mouth_w, mouth_y, lip_upper, lip_lower, mouth_open, smile;
  // pose
  float yaw_deg, pitch_deg, roll_deg, scale, cx, cy;
  // light
  float light_deg, light_strength, ambient_round, socket_depth, specular;
  // hair
  int hair_kind;  // index into kHairColours
  color::Lab hair;
  bool long_hair;
  float hairline_l, hairline_r, hair_volume, hair_length;
  // features
  color::Lab brow, lip, iris, clothes, bg0, bg1;
  float brow_alpha, gaze_x, gaze_y, lash_weight, grain;
  float bg_angle_deg;
};

struct HairColour {
  const char* name;
  double L, a, b;  // centre
};
const std::array<HairColour, 7> kHairColours = {{{"black", 12, 1, 2},
                                                  {"dark-brown", 20, 4, 8},
                                                  {"brown", 32, 7, 15},
                                                  {"auburn", 34, 20, 24},
                                                  {"blond", 62, 4, 26},
                                                  {"grey", 62, 0, 2},
                                                  {"dyed-red", 38, 35, 20}}};
const std::array<double, 7> kHairWeights = {0.34, 0.24, 0.16, 0.07, 0.10, 0.05, 0.04};

struct IrisColour {
  const char* name;
  double L, a, b;
};
const std::array<IrisColour, 5> kIrisColours = {
    {{"dark-brown", 22, 6, 12}, {"brown", 32, 10, 22}, {"hazel", 42, 4, 24}, {"green", 45, -14, 14}, {"blue", 52, -4, -20}}};
const std::array<double, 5> kIrisWeights = {0.45, 0.2, 0.12, 0.1, 0.13};

// The skin colour: a Monk shade moved up to half-way toward a neighbouring shade (so the
// colours cover the scale continuously and every Fitzpatrick type occurs: the swatches
// jump from ITA 50 at shade 5 to 11 at shade 6), its lightness jittered, its chroma
// scaled and its hue moved into the drawn undertone's range (cool < 50 <= neutral <= 60 <
// warm, color.hpp's thresholds; warm no yellower than the shade). It is kept only if it is
// still nearest to its shade (CIEDE2000) and color::undertone() agrees, so the labels
// describe the colour exactly. Shades whose neighbours are close (1 and 2 are 1.9 apart)
// cannot take every hue: after a few tries the next undertone is tried, and as a last
// resort the shade itself.
void draw_skin(Rng& rng, Draws& d) {
  d.monk = rng.integer(1, 10);
  const int want = rng.integer(0, 2);
  static const char* const kTones[3] = {"cool", "neutral", "warm"};
  const auto& shades = color::monk_shades();
  const color::Lab base = shades[static_cast<std::size_t>(d.monk - 1)].lab;
  for (int k = 0; k < 3; ++k) {
    const int tone = (want + k) % 3;
    for (int t = 0; t < 24; ++t) {
      const double toward = rng.uniform(-0.5, 0.5);
      const int nb = std::clamp(d.monk + (toward < 0 ? -1 : 1), 1, 10);
      const color::Lab& other = shades[static_cast<std::size_t>(nb - 1)].lab;
      const double w = std::abs(toward);
      const color::Lab mid{base.L + (other.L - base.L) * w, base.a + (other.a - base.a) * w, base.b + (other.b - base.b) * w};
      const double L = mid.L + rng.normal() * 1.2;
      const double c = std::max(3.0, std::hypot(mid.a, mid.b) * rng.uniform(0.8, 1.2));
      // Warm stops a little past the shade's own hue: yellower than that reads as olive-green.
      const double warm_max = std::max(66.0, color::hue_angle_degrees(mid) + 3.0);
      const double h = tone == 0 ? rng.uniform(38, 49.5) : tone == 1 ? rng.uniform(50.5, 59.5) : rng.uniform(60.5, warm_max);
      const color::Lab lab = lab_polar(L, c, h);
      if (color::nearest_monk(lab) == d.monk && std::string(color::undertone(lab)) == kTones[tone]) {
        d.skin = lab;
        d.undertone_target = kTones[want];
        return;
      }
    }
  }
  d.skin = base;
  d.undertone_target = kTones[want];
}

Draws draw(Rng& rng) {
  Draws d;
  draw_skin(rng, d);
  // Shape.
  d.face_w = rng.uf(0.9, 1.07);
  d.lower_h = rng.uf(0.93, 1.07);
  d.jaw_narrow = rng.uf(-0.05, 0.09);
  d.eye_scale = rng.uf(0.88, 1.15);
  d.eye_open = rng.uf(0.85, 1.3);
  d.eye_spacing = rng.uf(-0.015, 0.02);
  d.eye_y = rng.uf(-0.012, 0.012);
  d.eye_tilt_deg = rng.uf(-4, 7);
  d.brow_y = rng.uf(-0.02, 0.015);
  d.brow_arch = rng.uf(0.6, 1.5);
  d.nose_len = rng.uf(0.92, 1.1);
  d.nose_w = rng.uf(0.85, 1.25);
  d.mouth_w = rng.uf(0.88, 1.15);
  d.mouth_y = rng.uf(-0.012, 0.012);
  d.lip_upper = rng.uf(0.75, 1.35);
  d.lip_lower = rng.uf(0.8, 1.35);
  d.mouth_open = rng.chance(0.7) ? 0.0f : rng.uf(0.004, 0.035);
  d.smile = rng.uf(-0.008, 0.016);
  // Pose: within a few degrees (issue: "pose within a few degrees"), yaw imitated on a
  // pseudo-depth of the face.
  d.yaw_deg = rng.uf(-14, 14);
  d.pitch_deg = rng.uf(-8, 8);
  d.roll_deg = rng.uf(-8, 8);
  d.scale = rng.uf(0.60, 0.72);
  d.cx = rng.uf(0.46, 0.54);
  d.cy = rng.uf(0.53, 0.59);
  // Light.
  d.light_deg = rng.uf(0, 360);
  d.light_strength = rng.uf(0.04, 0.2);
  d.ambient_round = rng.uf(0.16, 0.3);
  d.socket_depth = rng.uf(0.16, 0.3);
  d.specular = rng.uf(0.025, 0.09);
  // Hair.
  d.hair_kind = rng.pick(kHairWeights);
  {
    const auto& h = kHairColours[static_cast<std::size_t>(d.hair_kind)];
    d.hair = {h.L + rng.normal() * 2.5, h.a + rng.normal() * 1.5, h.b + rng.normal() * 2.0};
  }
  d.long_hair = rng.chance(0.5);
  d.hairline_l = rng.uf(0.5, 0.9);
  d.hairline_r = std::clamp(d.hairline_l + rng.uf(-0.25, 0.25), 0.5f, 0.9f);
  d.hair_volume = rng.uf(0.12, 0.32);
  d.hair_length = rng.uf(0.6, 1.3);
  // Brows: darker than the skin (clearly, so HOG sees them), lighter for blond/grey hair.
  {
    const double hair_l = d.hair.L;
    const double L = std::min(hair_l + rng.uniform(-4, 6), d.skin.L * rng.uniform(0.45, 0.62));
    const double chroma = std::clamp(L / 30.0, 0.2, 1.0);  // dark brows are near black, not red
    d.brow = {std::max(6.0, L), (d.hair.a * 0.6 + 2) * chroma, (d.hair.b * 0.5 + 3) * chroma};
  }
  d.brow_alpha = rng.uf(0.7, 0.95);
  // Lips: the skin, darker and redder.
  d.lip = {d.skin.L * rng.uniform(0.7, 0.9), d.skin.a + rng.uniform(9, 20), d.skin.b + rng.uniform(-1, 6)};
  {
    const auto& ic = kIrisColours[static_cast<std::size_t>(rng.pick(kIrisWeights))];
    d.iris = {ic.L + rng.normal() * 3, ic.a + rng.normal() * 2, ic.b + rng.normal() * 3};
  }
  d.gaze_x = rng.uf(-0.12, 0.12);
  d.gaze_y = rng.uf(-0.05, 0.08);
  d.lash_weight = rng.uf(0.8, 1.3);
  d.grain = rng.uf(0.6, 2.2);
  d.clothes = lab_polar(rng.uniform(15, 80), rng.uniform(0, 40), rng.uniform(0, 360));
  d.bg0 = lab_polar(rng.uniform(25, 92), rng.uniform(0, 22), rng.uniform(0, 360));
  d.bg1 = lab_polar(std::clamp(d.bg0.L + rng.uniform(-30, 30), 10.0, 96.0), rng.uniform(0, 22), rng.uniform(0, 360));
  d.bg_angle_deg = rng.uf(0, 360);
  return d;
}

// ---- geometry -------------------------------------------------------------------------------

cv::Point2f centre_of(const Poly& p, std::initializer_list<int> idx) {
  cv::Point2f c(0, 0);
  for (int i : idx) c += p[static_cast<std::size_t>(i)];
  return c / static_cast<float>(idx.size());
}

// The 68 landmarks in pixels of a size x size image.
Poly place_landmarks(const Draws& d, int size) {
  Poly p = face::canonical_landmarks68();
  auto at = [&p](int i) -> cv::Point2f& { return p[static_cast<std::size_t>(i)]; };
  // Lower face length: everything below the eye line scales around it.
  for (auto& q : p)
    if (q.y > 0.36f) q.y = 0.36f + (q.y - 0.36f) * d.lower_h;
  // Jaw narrowing toward the chin.
  for (int i = 0; i <= 16; ++i) {
    const float s = static_cast<float>(std::sin(kPi * i / 16.0));
    at(i).x = 0.5f + (at(i).x - 0.5f) * (1.0f - d.jaw_narrow * s);
  }
  // Eyes: size, opening, spacing, height, tilt (mirrored).
  for (int side = 0; side < 2; ++side) {
    const int e0 = side == 0 ? 36 : 42;
    const cv::Point2f c = centre_of(p, {e0, e0 + 1, e0 + 2, e0 + 3, e0 + 4, e0 + 5});
    const float dir = side == 0 ? -1.0f : 1.0f;  // outward
    const float tilt = static_cast<float>(d.eye_tilt_deg * kPi / 180.0) * -dir;  // outer corner up
    for (int i = e0; i < e0 + 6; ++i) {
      cv::Point2f v = at(i) - c;
      v.x *= d.eye_scale;
      v.y *= d.eye_scale * d.eye_open;
      const cv::Point2f r(v.x * std::cos(tilt) - v.y * std::sin(tilt), v.x * std::sin(tilt) + v.y * std::cos(tilt));
      at(i) = c + r + cv::Point2f(dir * d.eye_spacing, d.eye_y);
    }
  }
  // Brows: height and arch (middle points lifted more).
  for (int i = 17; i <= 26; ++i) {
    const int k = i <= 21 ? i - 17 : 26 - i;  // 0 outer .. 4 inner
    const float arch = (k == 1 || k == 2) ? (d.brow_arch - 1.0f) * 0.012f : 0.0f;
    at(i).y += d.brow_y - arch;
  }
  // Nose length (from the bridge top) and width.
  const float y27 = at(27).y;
  for (int i = 28; i <= 35; ++i) at(i).y = y27 + (at(i).y - y27) * d.nose_len;
  for (int i = 31; i <= 35; ++i) at(i).x = 0.5f + (at(i).x - 0.5f) * d.nose_w;
  // Mouth: width, height, lip thickness, opening, smile. Keep the upper lip below the nose.
  {
    const float line = (at(48).y + at(54).y) * 0.5f;
    for (int i = 48; i <= 67; ++i) at(i).x = 0.5f + (at(i).x - 0.5f) * d.mouth_w;
    for (int i = 49; i <= 53; ++i) at(i).y = line + (at(i).y - line) * d.lip_upper;
    for (int i = 55; i <= 59; ++i) at(i).y = line + (at(i).y - line) * d.lip_lower;
    for (int i : {61, 62, 63}) at(i).y -= d.mouth_open * 0.35f;
    for (int i : {65, 66, 67}) at(i).y += d.mouth_open * 0.65f;
    for (int i : {55, 56, 57, 58, 59}) at(i).y += d.mouth_open * 0.65f;
    for (int i : {48, 54}) at(i).y -= d.smile;
    for (int i : {60, 64}) at(i).y -= d.smile * 0.9f;
    const float shift = d.mouth_y + std::max(0.0f, at(33).y + 0.035f - at(51).y - d.mouth_y);
    for (int i = 48; i <= 67; ++i) at(i).y += shift;
  }
  // Face width.
  for (auto& q : p) q.x = 0.5f + (q.x - 0.5f) * d.face_w;

  // Pose on a pseudo-depth: an ellipsoid face with the nose standing out.
  std::array<float, 68> z{};
  for (int i = 0; i < 68; ++i) {
    const float u = std::clamp((at(i).x - 0.5f) / (0.5f * d.face_w), -1.0f, 1.0f);
    z[static_cast<std::size_t>(i)] = 0.45f * std::sqrt(std::max(0.0f, 1.0f - u * u));
  }
  const std::array<std::pair<int, float>, 13> nose_depth = {
      {{27, 0.03f}, {28, 0.07f}, {29, 0.12f}, {30, 0.18f}, {31, 0.06f}, {32, 0.09f}, {33, 0.13f},
       {34, 0.09f}, {35, 0.06f}, {51, 0.05f}, {57, 0.04f}, {62, 0.04f}, {66, 0.04f}}};
  for (const auto& [i, dz] : nose_depth) z[static_cast<std::size_t>(i)] += dz;
  for (int i = 36; i <= 47; ++i) z[static_cast<std::size_t>(i)] -= 0.04f;
  const float yaw = static_cast<float>(d.yaw_deg * kPi / 180.0), pitch = static_cast<float>(d.pitch_deg * kPi / 180.0);
  const cv::Point2f pivot(0.5f, 0.55f);
  for (int i = 0; i < 68; ++i) {
    cv::Point2f& q = at(i);
    const float zi = z[static_cast<std::size_t>(i)];
    const float x = (q.x - pivot.x) * std::cos(yaw) + zi * std::sin(yaw);
    const float y = (q.y - pivot.y) * std::cos(pitch) - zi * std::sin(pitch);
    q = {x, y};  // relative to the pivot
  }
  // Roll, scale, placement.
  const float roll = static_cast<float>(d.roll_deg * kPi / 180.0);
  const float s = d.scale * static_cast<float>(size);
  const cv::Point2f c(d.cx * static_cast<float>(size), d.cy * static_cast<float>(size));
  for (auto& q : p) {
    const float x = q.x * std::cos(roll) - q.y * std::sin(roll), y = q.x * std::sin(roll) + q.y * std::cos(roll);
    q = c + cv::Point2f(x, y) * s;
  }
  return p;
}

// ---- painting helpers (all on the supersampled canvas) ---------------------------------------

// A canvas-size float alpha with a polygon (sub-pixel) filled and feathered by sigma px.
void fill_soft(cv::Mat1f& a, const Poly& poly, float sigma) {
  face::detail::fill(a, poly, 1);
  if (sigma <= 0) return;
  cv::Rect r = cv::boundingRect(poly);
  const int pad = static_cast<int>(std::ceil(3 * sigma)) + 2;
  r = cv::Rect(r.x - pad, r.y - pad, r.width + 2 * pad, r.height + 2 * pad) & cv::Rect(0, 0, a.cols, a.rows);
  if (r.area() <= 0) return;
  cv::GaussianBlur(a(r), a(r), cv::Size(0, 0), sigma);
}

void blur_roi(cv::Mat1f& a, cv::Rect r, float sigma) {
  const int pad = static_cast<int>(std::ceil(3 * sigma)) + 2;
  r = cv::Rect(r.x - pad, r.y - pad, r.width + 2 * pad, r.height + 2 * pad) & cv::Rect(0, 0, a.cols, a.rows);
  if (r.area() > 0) cv::GaussianBlur(a(r), a(r), cv::Size(0, 0), sigma);
}

// A blur with a large sigma, done at a quarter of the resolution (what it feeds is smooth).
cv::Mat1f blur_big(const cv::Mat1f& m, double sigma) {
  const int f = 4;
  cv::Mat1f small, out;
  cv::resize(m, small, cv::Size(m.cols / f, m.rows / f), 0, 0, cv::INTER_AREA);
  cv::GaussianBlur(small, small, cv::Size(0, 0), std::max(0.5, sigma / f));
  cv::resize(small, out, m.size(), 0, 0, cv::INTER_LINEAR);
  return out;
}

// img = img + (colour - img) * a * opacity
void paint(cv::Mat3f& img, const cv::Mat1f& a, const cv::Vec3f& colour, float opacity) {
  for (int y = 0; y < img.rows; ++y) {
    cv::Vec3f* p = img.ptr<cv::Vec3f>(y);
    const float* al = a.ptr<float>(y);
    for (int x = 0; x < img.cols; ++x) {
      const float t = al[x] * opacity;
      if (t <= 0) continue;
      p[x] += (colour - p[x]) * t;
    }
  }
}

// Same with a per-pixel colour.
void paint(cv::Mat3f& img, const cv::Mat1f& a, const cv::Mat3f& colour, float opacity) {
  for (int y = 0; y < img.rows; ++y) {
    cv::Vec3f* p = img.ptr<cv::Vec3f>(y);
    const cv::Vec3f* c = colour.ptr<cv::Vec3f>(y);
    const float* al = a.ptr<float>(y);
    for (int x = 0; x < img.cols; ++x) {
      const float t = al[x] * opacity;
      if (t <= 0) continue;
      p[x] += (c[x] - p[x]) * t;
    }
  }
}

// Highlights roll off toward white instead of clipping (a film-like shoulder above 85 %),
// so the lightest skins keep their shading. Applied to the brightest channel and the
// others scaled alike, so the colour's hue and saturation stay those drawn.
constexpr float kKnee = 0.85f * 255.0f;
inline float shoulder(float v) {
  if (v <= kKnee) return v;
  constexpr float r = 255.0f - kKnee;
  const float u = (v - kKnee) / r;
  return kKnee + r * u / (1.0f + u);  // slope 1 at the knee, 255 at infinity
}

// img = img + (base * shade * (1 + texture) - img) * a * opacity, the colour through the
// shoulder; only where a > 0. An empty texture means none.
void paint_shaded(cv::Mat3f& img, const cv::Mat1f& a, const cv::Vec3f& base, const cv::Mat1f& shade,
                  const cv::Mat1f& texture, float opacity) {
  const float top = std::max({base[0], base[1], base[2], 1.0f});
  for (int y = 0; y < img.rows; ++y) {
    cv::Vec3f* p = img.ptr<cv::Vec3f>(y);
    const float* al = a.ptr<float>(y);
    const float* s = shade.ptr<float>(y);
    const float* t = texture.empty() ? nullptr : texture.ptr<float>(y);
    for (int x = 0; x < img.cols; ++x) {
      const float w = al[x] * opacity;
      if (w <= 0) continue;
      const float m = top * s[x] * (t ? 1.0f + t[x] : 1.0f);
      const cv::Vec3f c = base * (shoulder(m) / top);
      p[x] += (c - p[x]) * w;
    }
  }
}

cv::Mat1f noise(cv::RNG& rng, cv::Size size, float sigma) {
  cv::Mat1f n(size);
  rng.fill(n, cv::RNG::NORMAL, 0, sigma);
  return n;
}

// Smooth noise: a grid of cells x cells normal values, upscaled (bicubic).
cv::Mat1f smooth_noise(cv::RNG& rng, cv::Size size, int cells, float sigma) {
  cv::Mat1f small(cells, cells), out;
  rng.fill(small, cv::RNG::NORMAL, 0, sigma);
  cv::resize(small, out, size, 0, 0, cv::INTER_CUBIC);
  return out;
}

void ellipse_into(cv::Mat1f& m, cv::Point2f c, float rx, float ry, float angle_deg, float value) {
  cv::ellipse(m, cv::RotatedRect(c, cv::Size2f(2 * std::max(rx, 0.5f), 2 * std::max(ry, 0.5f)), angle_deg),
              cv::Scalar(value), cv::FILLED, cv::LINE_8);
}

void polyline_into(cv::Mat1f& m, const Poly& pts, float thickness, float value, bool closed = false) {
  constexpr int kShift = 4;
  std::vector<cv::Point> p;
  for (const auto& q : pts) p.emplace_back(cvRound(q.x * (1 << kShift)), cvRound(q.y * (1 << kShift)));
  const cv::Point* pp = p.data();
  const int n = static_cast<int>(p.size());
  cv::polylines(m, &pp, &n, 1, closed, cv::Scalar(value), std::max(1, cvRound(thickness)), cv::LINE_8, kShift);
}

// Points along a Catmull-Rom curve through `pts` (open), `per` samples per segment.
Poly smooth_curve(const Poly& pts, int per = 6) {
  Poly out;
  const int n = static_cast<int>(pts.size());
  for (int i = 0; i + 1 < n; ++i) {
    const cv::Point2f p0 = pts[static_cast<std::size_t>(std::max(0, i - 1))], p1 = pts[static_cast<std::size_t>(i)],
                      p2 = pts[static_cast<std::size_t>(i + 1)], p3 = pts[static_cast<std::size_t>(std::min(n - 1, i + 2))];
    for (int k = 0; k < per; ++k) {
      const float t = static_cast<float>(k) / static_cast<float>(per), t2 = t * t, t3 = t2 * t;
      out.push_back(0.5f * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t3));
    }
  }
  out.push_back(pts.back());
  return out;
}

cv::Point2f lerp(cv::Point2f a, cv::Point2f b, float t) { return a + (b - a) * t; }
float norm(cv::Point2f v) { return std::hypot(v.x, v.y); }

// ---- the painter ------------------------------------------------------------------------------

struct Painted {
  cv::Mat image;   // CV_8UC3 at the output size
  cv::Mat labels;  // CV_8UC1 MT-14
};

Painted paint_face(const Draws& d, const Poly& lm, int size, std::uint64_t noise_seed) {
  // Supersampling factor: small faces are painted at 2x and area-downsampled (clean edges
  // on 4-px eyes); large ones need no help.
  const int K = size <= 320 ? 2 : 1;
  const int H = size * K;
  const cv::Size hs(H, H);
  const float off = (K - 1) * 0.5f;  // pixel centre i of the output covers K*i .. K*i+K-1
  Poly p(lm.size());
  for (std::size_t i = 0; i < lm.size(); ++i) p[i] = lm[i] * static_cast<float>(K) + cv::Point2f(off, off);
  auto P = [&p](int i) { return p[static_cast<std::size_t>(i)]; };
  cv::RNG nrng(noise_seed);

  const cv::Point2f up = face::face_up(p);
  const cv::Point2f right(-up.y, up.x);  // image right for an upright face
  const float nose = face::nose_length(p);
  const float face_w = norm(P(16) - P(0));
  const float angle_deg = static_cast<float>(std::atan2(right.y, right.x) * 180.0 / kPi);
  const face::FaceRegions regions = face::face_regions(hs, p);
  const cv::Mat& lab_hi = regions.labels;

  // Light direction (image plane): brighter toward it.
  const float la = static_cast<float>(d.light_deg * kPi / 180.0);
  const cv::Point2f light(std::cos(la), std::sin(la));

  cv::Mat3f img(hs);
  // 1. Background: a gradient between two colours, soft blotches, a vignette.
  {
    const cv::Vec3f c0 = bgr_of(d.bg0), c1 = bgr_of(d.bg1);
    const float ba = static_cast<float>(d.bg_angle_deg * kPi / 180.0);
    const cv::Point2f g(std::cos(ba), std::sin(ba));
    const cv::Mat1f blot = smooth_noise(nrng, hs, 5, 0.06f);
    for (int y = 0; y < H; ++y) {
      cv::Vec3f* row = img.ptr<cv::Vec3f>(y);
      const float* b = blot.ptr<float>(y);
      for (int x = 0; x < H; ++x) {
        const float u = ((x - H * 0.5f) * g.x + (y - H * 0.5f) * g.y) / H + 0.5f;
        const float r2 = ((x - H * 0.5f) * (x - H * 0.5f) + (y - H * 0.5f) * (y - H * 0.5f)) / (H * H * 0.5f);
        row[x] = (c0 + (c1 - c0) * std::clamp(u, 0.0f, 1.0f)) * ((1.0f + b[x]) * (1.0f - 0.25f * r2));
      }
    }
  }

  const cv::Vec3f skin = bgr_of(d.skin);
  const cv::Vec3f hair = bgr_of(d.hair);
  const cv::Point2f jaw_mid = (P(0) + P(16)) * 0.5f;
  const cv::Point2f brow_mid = (P(19) + P(24)) * 0.5f;
  const float head_top = norm(brow_mid - jaw_mid) + (static_cast<float>(face::kForeheadLift) + d.hair_volume + 0.1f) * nose;
  const float head_half_w = face_w * 0.5f * 1.07f;

  // Hair texture: strands along the face's vertical axis (noise blurred along it).
  cv::Mat1f strands;
  {
    cv::Mat1f n = noise(nrng, hs, 1.0f);  // (strands stay vertical: the roll is small)
    cv::GaussianBlur(n, strands, cv::Size(0, 0), 0.6 * K, 3.0 * K);
    strands *= 0.9f;
  }
  auto hair_field = [&](const cv::Mat1f& sheen) {  // the hair's colour everywhere
    cv::Mat3f f(hs);
    for (int y = 0; y < H; ++y) {
      cv::Vec3f* o = f.ptr<cv::Vec3f>(y);
      const float* s = strands.ptr<float>(y);
      const float* h = sheen.ptr<float>(y);
      for (int x = 0; x < H; ++x) o[x] = hair * std::max(0.2f, (1.0f + 0.35f * s[x]) * (1.0f + h[x])) + cv::Vec3f(4, 4, 4) * s[x];
    }
    return f;
  };
  // Sheen: light on the crown, on the light's side.
  cv::Mat1f sheen = cv::Mat1f::zeros(hs);
  ellipse_into(sheen, jaw_mid + up * (head_top * 0.8f) + light * (head_half_w * 0.35f), head_half_w * 0.45f,
               head_top * 0.18f, angle_deg, 0.45f);
  sheen = blur_big(sheen, 0.1 * face_w);
  const cv::Mat3f hair_colour = hair_field(sheen);

  // 2. Back hair (long hair): behind the head, down to the shoulders.
  cv::Mat1f hair_back = cv::Mat1f::zeros(hs);
  if (d.long_hair) {
    Poly poly;
    const float w = head_half_w * 1.12f;
    for (int i = 0; i <= 24; ++i) {
      const float phi = static_cast<float>(kPi * i / 24.0);
      poly.push_back(jaw_mid + right * (w * std::cos(phi)) + up * ((head_top + 0.04f * nose) * std::sin(phi)));
    }
    const float drop = d.hair_length * face_w;
    poly.push_back(jaw_mid - right * (w * 1.05f) - up * drop);
    poly.push_back(jaw_mid + right * (w * 1.05f) - up * drop);
    fill_soft(hair_back, poly, 1.0f * K);
    paint(img, hair_back, hair_colour, 1.0f);
  }

  // Shading shared by the skin layers: directional light.
  const cv::Point2f fc = P(30);
  cv::Mat1f dir(hs);
  for (int y = 0; y < H; ++y) {
    float* row = dir.ptr<float>(y);
    for (int x = 0; x < H; ++x) {
      const float t = ((static_cast<float>(x) - fc.x) * light.x + (static_cast<float>(y) - fc.y) * light.y) / (0.5f * face_w);
      row[x] = 1.0f + d.light_strength * std::clamp(t, -1.5f, 1.5f);
    }
  }
  const cv::Mat1f skin_tex = [&] {
    cv::Mat1f t = noise(nrng, hs, 0.028f);
    cv::GaussianBlur(t, t, cv::Size(0, 0), 0.5 * K);
    t += smooth_noise(nrng, hs, 9, 0.025f);
    return t;
  }();

  // 3. Neck: from under the jaw down, darker near the jaw (the head's shadow).
  cv::Mat1f neck = cv::Mat1f::zeros(hs);
  {
    const cv::Point2f a = lerp(P(4), P(5), 0.5f) + right * (0.02f * face_w), b = lerp(P(12), P(11), 0.5f) - right * (0.02f * face_w);
    const float drop = face_w * 1.2f;
    fill_soft(neck, {a + up * (0.2f * nose), b + up * (0.2f * nose), b - up * drop + right * (0.06f * face_w),
                     a - up * drop - right * (0.06f * face_w)},
              0.7f * K);
    cv::Mat1f jaw = cv::Mat1f::zeros(hs);
    Poly outline(p.begin(), p.begin() + 17);
    for (auto& q : outline) q -= up * (0.12f * nose);
    face::detail::fill(jaw, face::detail::hull(outline), 1);
    jaw = blur_big(jaw, 0.06 * face_w);
    cv::Mat1f shade = dir.mul(0.86f - 0.38f * jaw);
    paint_shaded(img, neck, skin, shade, skin_tex, 1.0f);
  }

  // 4. Clothes: shoulders below the neck.
  cv::Mat1f clothes = cv::Mat1f::zeros(hs);
  {
    const cv::Point2f c = P(8) - up * (0.62f * face_w);
    ellipse_into(clothes, c, face_w * 1.05f, face_w * 0.42f, angle_deg, 1.0f);
    blur_roi(clothes, cv::Rect(0, 0, H, H), 0.8f * K);
    cv::Mat1f shade = cv::Mat1f::ones(hs) + smooth_noise(nrng, hs, 6, 0.08f);
    paint_shaded(img, clothes, bgr_of(d.clothes), shade, cv::Mat1f(), 1.0f);
  }

  // 5. Ears (short hair only; long hair covers them).
  cv::Mat1f ear_l = cv::Mat1f::zeros(hs), ear_r = cv::Mat1f::zeros(hs);
  if (!d.long_hair) {
    const float ry = 0.5f * nose * 1.05f, rx = 0.17f * nose * 1.4f;
    const cv::Point2f cl = lerp(P(0), P(2), 0.5f) - right * (0.03f * face_w) + up * (0.05f * nose);
    const cv::Point2f cr = lerp(P(16), P(14), 0.5f) + right * (0.03f * face_w) + up * (0.05f * nose);
    ellipse_into(ear_l, cl, rx, ry, angle_deg + 8, 1.0f);
    ellipse_into(ear_r, cr, rx, ry, angle_deg - 8, 1.0f);
    blur_roi(ear_l, cv::boundingRect(Poly{cl - cv::Point2f(ry, ry), cl + cv::Point2f(ry, ry)}), 0.6f * K);
    blur_roi(ear_r, cv::boundingRect(Poly{cr - cv::Point2f(ry, ry), cr + cv::Point2f(ry, ry)}), 0.6f * K);
    cv::Mat1f inner = cv::Mat1f::zeros(hs);  // the ear's hollow
    ellipse_into(inner, cl + right * (0.3f * rx), rx * 0.45f, ry * 0.55f, angle_deg + 8, 0.25f);
    ellipse_into(inner, cr - right * (0.3f * rx), rx * 0.45f, ry * 0.55f, angle_deg - 8, 0.25f);
    cv::GaussianBlur(inner, inner, cv::Size(0, 0), 1.0 * K);
    const cv::Mat1f shade = dir.mul(0.9f - 0.9f * inner);
    paint_shaded(img, ear_l, skin, shade, skin_tex, 1.0f);
    paint_shaded(img, ear_r, skin, shade, skin_tex, 1.0f);
  }

  // 6. Face skin with its shading.
  cv::Mat1f face_a = cv::Mat1f::zeros(hs);
  face_a.setTo(1.0f, lab_hi != 0);
  cv::Mat1f face_blur = blur_big(face_a, 0.09 * face_w);
  blur_roi(face_a, cv::Rect(0, 0, H, H), 0.6f * K);
  {
    // Darkening (occlusion) and highlights, drawn as blobs and blurred together.
    cv::Mat1f occ = cv::Mat1f::zeros(hs), occ_fine = cv::Mat1f::zeros(hs), hl = cv::Mat1f::zeros(hs);
    const float ew = norm(P(39) - P(36));
    for (int side = 0; side < 2; ++side) {
      const int e0 = side == 0 ? 36 : 42, b0 = side == 0 ? 17 : 22;
      const cv::Point2f ec = centre_of(p, {e0, e0 + 1, e0 + 2, e0 + 3, e0 + 4, e0 + 5});
      const cv::Point2f bc = centre_of(p, {b0, b0 + 1, b0 + 2, b0 + 3, b0 + 4});
      // Eye socket: from under the brow to just below the eye.
      ellipse_into(occ, lerp(ec, bc, 0.3f), ew * 0.85f, norm(bc - ec) * 0.85f, angle_deg, d.socket_depth);
      // Inner corner toward the nose bridge: deepest.
      const cv::Point2f inner = side == 0 ? P(39) : P(42);
      ellipse_into(occ_fine, lerp(inner, P(27), 0.45f), ew * 0.28f, ew * 0.35f, angle_deg, d.socket_depth * 0.8f);
      // Under-eye shade and cheekbone light.
      ellipse_into(occ_fine, ec - up * (0.2f * nose), ew * 0.45f, 0.08f * nose, angle_deg, 0.06f);
      const auto apex = face::cheek_apexes(p)[static_cast<std::size_t>(side)] + up * (0.12f * nose);
      ellipse_into(hl, apex, 0.35f * nose, 0.2f * nose, angle_deg, 0.07f);
    }
    // Nose: sides darker (the side away from the light more), bridge and tip lighter.
    {
      const float away = light.x * right.x + light.y * right.y;  // > 0: light from image right
      for (int side = -1; side <= 1; side += 2) {
        const float depth = 0.16f + 0.12f * (side < 0 ? std::max(0.0f, away) : std::max(0.0f, -away));
        const cv::Point2f top = P(28) + right * (side * 0.14f * nose);
        const cv::Point2f bottom = (side < 0 ? P(31) : P(35)) + up * (0.12f * nose);
        polyline_into(occ_fine, {top, lerp(top, bottom, 0.5f) + right * (side * 0.02f * nose), bottom}, 0.13f * nose, depth);
        ellipse_into(occ_fine, side < 0 ? P(31) : P(35), 0.1f * nose, 0.12f * nose, angle_deg, 0.22f);  // ala crease
      }
      polyline_into(hl, {P(28), P(29), P(30)}, 0.09f * nose, 0.1f);
      ellipse_into(hl, P(30) - up * (0.04f * nose), 0.09f * nose, 0.07f * nose, angle_deg, 0.12f);
      // Under the nose and the philtrum.
      ellipse_into(occ_fine, lerp(P(33), P(51), 0.35f), 0.3f * nose, 0.09f * nose, angle_deg, 0.3f);
    }
    // Under the lower lip, the mouth corners, the forehead light, the chin.
    ellipse_into(occ_fine, P(57) - up * (0.14f * nose), 0.28f * nose, 0.08f * nose, angle_deg, 0.2f);
    ellipse_into(occ_fine, P(48) - right * (0.04f * nose), 0.06f * nose, 0.08f * nose, angle_deg, 0.25f);
    ellipse_into(occ_fine, P(54) + right * (0.04f * nose), 0.06f * nose, 0.08f * nose, angle_deg, 0.25f);
    ellipse_into(hl, brow_mid + up * (0.45f * nose), 0.5f * nose, 0.2f * nose, angle_deg, 0.06f);
    ellipse_into(hl, P(8) + up * (0.25f * nose), 0.25f * nose, 0.1f * nose, angle_deg, 0.05f);
    occ = blur_big(occ, 0.07 * face_w);
    cv::GaussianBlur(occ_fine, occ_fine, cv::Size(0, 0), 0.045 * nose * 1.0);
    cv::GaussianBlur(hl, hl, cv::Size(0, 0), 0.08 * nose);

    cv::Mat1f shade(hs);
    std::vector<float> on_skin;
    for (int y = 0; y < H; ++y) {
      const std::uint8_t* lab = lab_hi.ptr<std::uint8_t>(y);
      for (int x = 0; x < H; ++x) {
        const float round = 1.0f - d.ambient_round * (1.0f - std::min(1.0f, face_blur(y, x) * 1.7f));
        const float s = dir(y, x) * round * (1.0f - occ(y, x)) *
                        (1.0f - occ_fine(y, x)) * (1.0f + hl(y, x));
        shade(y, x) = s;
        if (lab[x] == face::kMtSkin) on_skin.push_back(s);
      }
    }
    // The drawn skin colour is the skin's mean: shading moves pixels around it, not away.
    // Through the shoulder the lightest skins need their shading scaled up a little more.
    if (!on_skin.empty()) {
      const float top = std::max({skin[0], skin[1], skin[2], 1.0f});
      float k = 1.0f;
      for (int it = 0; it < 4; ++it) {
        double sum = 0;
        for (float s : on_skin) sum += shoulder(top * k * s);
        const double mean = sum / (static_cast<double>(on_skin.size()) * top);
        k = std::min(1.6f, static_cast<float>(k / mean));
      }
      shade *= k;
    }
    paint_shaded(img, face_a, skin, shade, skin_tex, 1.0f);

    // Specular sheen (added light, not a change of the skin's colour): forehead, nose
    // bridge and tip, cheekbones, chin, upper lip. It is what shapes a dark face in a photo.
    cv::Mat1f spec = cv::Mat1f::zeros(hs);
    ellipse_into(spec, brow_mid + up * (0.5f * nose) + light * (0.1f * face_w), 0.32f * nose, 0.13f * nose, angle_deg, 0.8f);
    polyline_into(spec, {P(28), P(29), P(30)}, 0.06f * nose, 0.8f);
    ellipse_into(spec, P(30) - up * (0.02f * nose), 0.07f * nose, 0.06f * nose, angle_deg, 1.0f);
    for (int side = 0; side < 2; ++side) {
      const auto apex = face::cheek_apexes(p)[static_cast<std::size_t>(side)] + up * (0.18f * nose);
      const float lit = (apex - fc).dot(light) > 0 ? 0.8f : 0.35f;
      ellipse_into(spec, apex, 0.2f * nose, 0.09f * nose, angle_deg, lit);
    }
    ellipse_into(spec, P(8) + up * (0.2f * nose), 0.12f * nose, 0.06f * nose, angle_deg, 0.5f);
    ellipse_into(spec, P(51) + up * (0.07f * nose), 0.1f * nose, 0.03f * nose, angle_deg, 0.4f);
    cv::GaussianBlur(spec, spec, cv::Size(0, 0), 0.06 * nose);
    // (On light skin a sheen is hardly visible and would only bleach the measured colour.)
    const float amp = d.specular * 255.0f * static_cast<float>(1.0 - 0.85 * std::clamp(d.skin.L / 100.0, 0.0, 1.0));
    for (int y = 0; y < H; ++y) {
      cv::Vec3f* row = img.ptr<cv::Vec3f>(y);
      const float* sp = spec.ptr<float>(y);
      const float* fa = face_a.ptr<float>(y);
      for (int x = 0; x < H; ++x) row[x] += cv::Vec3f(1, 1, 1) * (amp * sp[x] * fa[x]);
    }
  }

  // 7. Nostrils.
  {
    cv::Mat1f a = cv::Mat1f::zeros(hs);
    for (int side = 0; side < 2; ++side) {
      const cv::Point2f c = lerp(side == 0 ? P(32) : P(34), P(33), 0.15f) + up * (0.06f * nose);
      ellipse_into(a, c, 0.075f * nose * d.nose_w, 0.04f * nose, angle_deg + (side == 0 ? 15 : -15), 1.0f);
    }
    cv::GaussianBlur(a, a, cv::Size(0, 0), 0.35 * K);
    paint(img, a, skin * 0.3f, 0.8f);
  }

  // 8. Brows: the same bands face_regions labels, with strands.
  {
    cv::Mat1f a = cv::Mat1f::zeros(hs);
    const float t = 0.22f * nose;
    face::detail::fill(a, face::detail::brow_band(p, 17, up, t), 1);
    face::detail::fill(a, face::detail::brow_band(p, 22, up, t), 1);
    cv::Mat1f n = noise(nrng, hs, 0.25f);
    cv::GaussianBlur(n, n, cv::Size(0, 0), 0.5 * K);
    a = a.mul(1.0f + n);
    cv::GaussianBlur(a, a, cv::Size(0, 0), 0.55 * K);
    cv::min(a, 1.0f, a);
    paint(img, a, bgr_of(d.brow), d.brow_alpha);
  }

  // 9. Eyes.
  for (int side = 0; side < 2; ++side) {
    const int e0 = side == 0 ? 36 : 42;
    const Poly eye = {P(e0), P(e0 + 1), P(e0 + 2), P(e0 + 3), P(e0 + 4), P(e0 + 5)};
    const cv::Point2f outer = side == 0 ? P(36) : P(45), inner = side == 0 ? P(39) : P(42);
    const float ew = norm(inner - outer);
    const cv::Point2f ec = centre_of(p, {e0, e0 + 1, e0 + 2, e0 + 3, e0 + 4, e0 + 5});
    const cv::Point2f upper = (P(e0 + 1) + P(e0 + 2)) * 0.5f, lower = (P(e0 + 4) + P(e0 + 5)) * 0.5f;
    const float eh = norm(upper - lower);
    cv::Rect roi = cv::boundingRect(eye);
    roi = cv::Rect(roi.x - 4 * K, roi.y - 4 * K, roi.width + 8 * K, roi.height + 8 * K) & cv::Rect(0, 0, H, H);
    cv::Mat1f eye_a = cv::Mat1f::zeros(hs);
    face::detail::fill(eye_a, eye, 1);
    blur_roi(eye_a, roi, 0.4f * K);
    // Sclera: off-white, shadowed under the upper lid.
    cv::Mat3f e(hs, cv::Vec3f(0, 0, 0));
    const cv::Vec3f sclera = bgr_of({78 + 4 * d.light_strength, 1.5, 4});
    const cv::Point2f iris_c = ec + right * (d.gaze_x * ew) - up * (d.gaze_y * eh + 0.08f * eh);
    const float ir = 0.21f * ew;
    for (int y = roi.y; y < roi.y + roi.height; ++y)
      for (int x = roi.x; x < roi.x + roi.width; ++x) {
        const cv::Point2f q(static_cast<float>(x), static_cast<float>(y));
        // Height above the lower lid along `up`, 0 (lower lid) .. 1 (upper lid).
        const float hgt = std::clamp(((q - lower).dot(up)) / std::max(1.0f, eh), 0.0f, 1.2f);
        cv::Vec3f c = sclera * (1.0f - 0.35f * hgt * hgt);
        const float r = norm(q - iris_c);
        if (r < ir) {
          const float rr = r / ir;
          cv::Vec3f iris = bgr_of(d.iris) * (0.75f + 0.35f * (1.0f - rr)) * (1.0f - 0.3f * hgt);
          if (rr > 0.82f) iris *= 0.6f;  // limbal ring
          if (rr < 0.42f) iris = cv::Vec3f(10, 9, 9);
          c = iris;
        }
        const float cl = norm(q - (iris_c + (up - light * 0.5f) * (0.35f * ir)));
        if (cl < std::max(0.6f * K, 0.14f * ir)) c = cv::Vec3f(235, 235, 235);
        e(y, x) = c;
      }
    paint(img, eye_a, e, 1.0f);
    // Lash line (upper lid), lower lid, crease.
    cv::Mat1f lines = cv::Mat1f::zeros(hs), soft = cv::Mat1f::zeros(hs);
    const Poly top = smooth_curve({P(e0), P(e0 + 1), P(e0 + 2), P(e0 + 3)});
    polyline_into(lines, top, std::max(1.2f * K, 0.09f * ew * d.lash_weight), 1.0f);
    const Poly bottom = smooth_curve({P(e0 + 3), P(e0 + 4), P(e0 + 5), P(e0)});
    polyline_into(soft, bottom, std::max(1.0f * K, 0.05f * ew), 0.45f);
    Poly crease = {P(e0) + up * (0.25f * eh), P(e0 + 1) + up * (0.75f * eh), P(e0 + 2) + up * (0.75f * eh), P(e0 + 3) + up * (0.3f * eh)};
    polyline_into(soft, smooth_curve(crease), std::max(1.0f * K, 0.05f * ew), 0.3f);
    blur_roi(lines, roi, 0.45f * K);
    blur_roi(soft, roi, 0.6f * K);
    paint(img, soft, skin * 0.35f, 1.0f);
    paint(img, lines, cv::Vec3f(18, 16, 16), 0.95f);
  }

  // 10. Lips: the polygons face_regions labels; the inner mouth dark (teeth when open).
  {
    cv::Mat1f up_a = cv::Mat1f::zeros(hs), lo_a = cv::Mat1f::zeros(hs), in_a = cv::Mat1f::zeros(hs);
    face::detail::fill(up_a, face::detail::pick(p, {48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60}), 1);
    face::detail::fill(lo_a, face::detail::pick(p, {48, 59, 58, 57, 56, 55, 54, 64, 65, 66, 67, 60}), 1);
    const Poly inner = face::detail::pick(p, {60, 61, 62, 63, 64, 65, 66, 67});
    face::detail::fill(in_a, inner, 1);
    const cv::Rect roi = cv::boundingRect(face::detail::pick(p, {48, 50, 52, 54, 56, 58}));
    blur_roi(up_a, roi, 0.5f * K);
    blur_roi(lo_a, roi, 0.5f * K);
    const cv::Vec3f lip = bgr_of(d.lip);
    cv::Mat1f hl = cv::Mat1f::zeros(hs);
    ellipse_into(hl, lerp(P(57), P(66), 0.45f), 0.18f * nose, 0.05f * nose, angle_deg, 0.18f);
    blur_roi(hl, roi, 0.06f * nose);
    const cv::Mat1f shade = dir.mul(1.0f + hl);
    paint_shaded(img, up_a, lip, shade, skin_tex, 0.9f);
    paint(img, up_a, lip * 0.8f, 0.25f);  // the upper lip faces down: darker
    paint_shaded(img, lo_a, lip, shade, skin_tex, 0.9f);
    // Inner mouth: a dark line when closed; teeth under the upper lip when open.
    const float open = norm(P(66) - P(62));
    cv::Mat1f line = cv::Mat1f::zeros(hs);
    polyline_into(line, smooth_curve({P(60), P(61), P(62), P(63), P(64)}), std::max(1.0f * K, 0.035f * nose), 1.0f);
    blur_roi(line, roi, 0.5f * K);
    if (open > 1.5f * K) {
      blur_roi(in_a, roi, 0.4f * K);
      cv::Mat3f m(hs);
      for (int y = roi.y; y < std::min(H, roi.y + roi.height + 1); ++y)
        for (int x = roi.x; x < std::min(H, roi.x + roi.width + 1); ++x) {
          const cv::Point2f q(static_cast<float>(x), static_cast<float>(y));
          const float from_top = (P(62) - q).dot(up) / std::max(1.0f, open);
          m(y, x) = from_top < 0.45f ? cv::Vec3f(200, 212, 222) * (0.8f - 0.3f * from_top) : cv::Vec3f(30, 28, 48);
        }
      paint(img, in_a, m, 1.0f);
    } else {
      paint(img, in_a, lip * 0.45f, 1.0f);
    }
    paint(img, line, lip * 0.35f, 0.85f);
  }

  // 11. Front hair: a cap from the hairline over the crown, down the temples.
  cv::Mat1f hair_front = cv::Mat1f::zeros(hs);
  {
    Poly poly;
    const auto fh = face::forehead_points(p);  // brows lifted by kForeheadLift nose lengths
    for (int i = 0; i < 10; ++i) {
      const float t = static_cast<float>(i) / 9.0f;
      const float lift = d.hairline_l + (d.hairline_r - d.hairline_l) * t;
      const cv::Point2f brow = P(17 + i);
      poly.push_back(lerp(brow, fh[static_cast<std::size_t>(i)], lift));
    }
    // Down the temples to the jaw's top points: the face hull and the cap meet with no gap.
    poly.push_back(P(16));
    const float w = head_half_w * 1.02f;
    for (int i = 0; i <= 24; ++i) {
      const float phi = static_cast<float>(kPi * i / 24.0);
      poly.push_back(jaw_mid + right * (w * std::cos(phi)) + up * (head_top * std::sin(phi)));
    }
    poly.push_back(P(0));
    fill_soft(hair_front, poly, 0.8f * K);
    paint(img, hair_front, hair_colour, 1.0f);
  }

  // 12. Lens and sensor: a slight blur, area-downsampling, grain.
  cv::GaussianBlur(img, img, cv::Size(0, 0), 0.45 * K);
  cv::Mat3f out;
  if (K > 1) cv::resize(img, out, cv::Size(size, size), 0, 0, cv::INTER_AREA);
  else out = img;
  {
    cv::Mat3f g(out.size());
    nrng.fill(g, cv::RNG::NORMAL, 0, d.grain);
    out += g;
  }
  Painted r;
  out.convertTo(r.image, CV_8UC3);  // rounds and saturates

  // Labels: painting order; a layer owns a pixel where it covers at least half of it.
  const cv::Size os(size, size);
  auto cover = [&](const cv::Mat1f& a) {
    cv::Mat1f c;
    if (K > 1) cv::resize(a, c, os, 0, 0, cv::INTER_AREA);
    else c = a;
    return cv::Mat(c >= 0.5f);
  };
  const face::FaceRegions out_regions = face::face_regions(os, lm);
  cv::Mat labels = cv::Mat::zeros(os, CV_8UC1);
  labels.setTo(face::kMtHair, cover(hair_back));
  labels.setTo(face::kMtNeck, cover(neck));
  labels.setTo(face::kMtBackground, cover(clothes));
  labels.setTo(face::kMtLeftEar, cover(ear_l));
  labels.setTo(face::kMtRightEar, cover(ear_r));
  out_regions.labels.copyTo(labels, out_regions.labels != 0);
  labels.setTo(face::kMtHair, cover(hair_front));
  r.labels = labels;
  return r;
}

Json params_json(const Draws& d) {
  auto r3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  return Json{
      {"skin", {{"monk", d.monk}, {"lab", lab_json(d.skin)}, {"undertone_drawn", d.undertone_target},
                {"ita", r3(color::ita_degrees(d.skin))}, {"hex", color::to_hex(d.skin)}}},
      {"shape", {{"face_width", r3(d.face_w)}, {"lower_face", r3(d.lower_h)}, {"jaw_narrow", r3(d.jaw_narrow)},
                 {"eye_scale", r3(d.eye_scale)}, {"eye_open", r3(d.eye_open)}, {"eye_spacing", r3(d.eye_spacing)},
                 {"eye_tilt_deg", r3(d.eye_tilt_deg)}, {"brow_height", r3(d.brow_y)}, {"brow_arch", r3(d.brow_arch)},
                 {"nose_length", r3(d.nose_len)}, {"nose_width", r3(d.nose_w)}, {"mouth_width", r3(d.mouth_w)},
                 {"lip_upper", r3(d.lip_upper)}, {"lip_lower", r3(d.lip_lower)}, {"mouth_open", r3(d.mouth_open)},
                 {"smile", r3(d.smile)}}},
      {"pose", {{"yaw_deg", r3(d.yaw_deg)}, {"pitch_deg", r3(d.pitch_deg)}, {"roll_deg", r3(d.roll_deg)},
                {"scale", r3(d.scale)}, {"centre", {r3(d.cx), r3(d.cy)}}}},
      {"lighting", {{"direction_deg", r3(d.light_deg)}, {"strength", r3(d.light_strength)},
                    {"roundness", r3(d.ambient_round)}, {"socket_depth", r3(d.socket_depth)}}},
      {"hair", {{"colour", kHairColours[static_cast<std::size_t>(d.hair_kind)].name}, {"lab", lab_json(d.hair)},
                {"long", d.long_hair}, {"hairline", {r3(d.hairline_l), r3(d.hairline_r)}}}},
      {"features", {{"brow_lab", lab_json(d.brow)}, {"lip_lab", lab_json(d.lip)}, {"iris_lab", lab_json(d.iris)},
                    {"gaze", {r3(d.gaze_x), r3(d.gaze_y)}}}},
  };
}

}  // namespace

std::string synth_annotator() { return std::string("auto:") + kSynthGeneratorId + "@" + core::kKohlVersion; }

std::string synth_subject(std::uint64_t seed, std::uint64_t index) {
  return "synth-" + std::to_string(seed) + "-" + std::to_string(index);
}

std::uint64_t synth_makeup_seed(std::uint64_t seed, std::uint64_t index) { return stream_seed(seed, index, 3); }

SynthFace synthesize_face(std::uint64_t seed, std::uint64_t index, int size) {
  size = std::clamp(size, 64, 1024);
  Rng rng(stream_seed(seed, index, 1));
  const Draws d = draw(rng);
  SynthFace f;
  f.landmarks = place_landmarks(d, size);
  Painted painted = paint_face(d, f.landmarks, size, stream_seed(seed, index, 2));
  f.image = painted.image;
  f.labels = painted.labels;
  f.monk = d.monk;
  f.fitzpatrick = color::fitzpatrick_roman(color::fitzpatrick_from_ita(color::ita_degrees(d.skin)));
  f.undertone = color::undertone(d.skin);
  f.params = params_json(d);
  return f;
}

std::vector<std::pair<std::string, Json>> flatten_palette(const Json& palette) {
  std::vector<std::pair<std::string, Json>> out;
  if (!palette.is_object()) return out;
  for (const auto& [region, v] : palette.items()) {
    if (!v.is_object()) continue;
    for (const auto& [key, x] : v.items()) {
      const std::string base = "palette_" + region + "_";
      if (key == "lab" && x.is_array() && x.size() == 3) {
        out.emplace_back(base + "l", x[0]);
        out.emplace_back(base + "a", x[1]);
        out.emplace_back(base + "b", x[2]);
      } else if (x.is_number() || x.is_string()) {
        out.emplace_back(base + key, x);
      }
    }
  }
  return out;
}

sdk::Result<Json> write_synthetic_dataset(const std::string& out_dir, const SynthOptions& o, sdk::IProgress& progress,
                                          const MakeupRenderer* renderer) {
  if (o.count < 1) return Status::invalid("count must be at least 1");
  if (o.size < 64 || o.size > 1024) return Status::invalid("size must lie in 64..1024 px, got " + std::to_string(o.size));
  if (o.pairs && !renderer) return Status::invalid("pairs need the makeup renderer (plugin org.kohl.augment.makeup)");
  {
    std::error_code ec;
    if (fs::exists(out_dir, ec) && !(fs::is_directory(out_dir, ec) && fs::is_empty(out_dir, ec)))
      return Status::invalid(out_dir + ": exists and is not an empty folder (synth never overwrites; pick a new folder)");
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = static_cast<std::size_t>(o.count);

  // Per subject: the encoded images and the annotations. Workers fill their own slots, so
  // the output order is the index order whatever the thread count.
  struct Slot {
    std::vector<std::uint8_t> bare_png, makeup_png;
    std::vector<cv::Point2f> landmarks;
    cv::Mat labels;
    int monk = 0;
    std::string fitzpatrick, undertone;
    Json params, palette;
    Status status;
  };
  std::vector<Slot> slots(n);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  progress.phase("synthesizing", static_cast<std::int64_t>(n));
  auto work = [&] {
    for (;;) {
      if (stop.load() || progress.cancelled()) {
        stop = true;
        return;
      }
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      Slot& s = slots[i];
      const std::uint64_t index = o.first + i;
      SynthFace f = synthesize_face(o.seed, index, o.size);
      if (Status e = core::codecs::encode(".png", f.image, s.bare_png); !e) {
        s.status = e;
        stop = true;
        return;
      }
      if (o.pairs) {
        std::mt19937_64 rng(synth_makeup_seed(o.seed, index));
        auto r = renderer->render_random(f.image, f.landmarks, rng);
        if (!r) {
          s.status = Status::error(synth_subject(o.seed, index) + ": makeup: " + r.status().message(), r.status().code());
          stop = true;
          return;
        }
        s.palette = r.value().second;
        if (Status e = core::codecs::encode(".png", r.value().first, s.makeup_png); !e) {
          s.status = e;
          stop = true;
          return;
        }
      }
      s.landmarks = std::move(f.landmarks);
      s.labels = std::move(f.labels);
      s.monk = f.monk;
      s.fitzpatrick = std::move(f.fitzpatrick);
      s.undertone = std::move(f.undertone);
      s.params = std::move(f.params);
      progress.advance(1);
    }
  };
  {
    const int threads = std::clamp(o.threads, 1, 64);
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  for (const auto& s : slots)
    if (!s.status) return s.status;
  if (progress.cancelled()) return Status::cancelled();
  const double gen_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Entries for the kohl writer; read_image hands back the encoded bytes by key.
  const std::string annotator = synth_annotator();
  std::vector<core::ImageEntry> entries;
  entries.reserve(o.pairs ? 2 * n : n);
  std::map<std::string, const std::vector<std::uint8_t>*> bytes;
  const int digits = std::max(6, static_cast<int>(std::to_string(o.first + n - 1).size()));
  auto pad = [digits](std::uint64_t i) {
    std::string s = std::to_string(i);
    return std::string(static_cast<std::size_t>(std::max(0, digits - static_cast<int>(s.size()))), '0') + s;
  };
  Json palettes = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const Slot& s = slots[i];
    const std::uint64_t index = o.first + i;
    core::ImageEntry e;
    e.dataset = "synth";
    e.source = kSynthSourceName;
    e.subject = synth_subject(o.seed, index);
    e.width = e.height = o.size;
    // Ground truth by construction (the picture is drawn from these annotations), so there
    // is nothing for a person to check: recorded as accepted by the generator itself.
    e.review = core::kReviewAccepted;
    e.reviewer = annotator;
    e.annotator = annotator;
    e.labels = {{"monk", std::to_string(s.monk)}, {"fitzpatrick", s.fitzpatrick}, {"undertone", s.undertone}};
    const auto& lab = s.params["skin"]["lab"];
    e.attributes["synth_skin_l"] = lab[0].get<double>();
    e.attributes["synth_skin_a"] = lab[1].get<double>();
    e.attributes["synth_skin_b"] = lab[2].get<double>();
    e.attributes["synth_ita"] = s.params["skin"]["ita"].get<double>();
    e.attributes["synth_yaw_deg"] = s.params["pose"]["yaw_deg"].get<double>();
    e.attributes["synth_roll_deg"] = s.params["pose"]["roll_deg"].get<double>();
    e.landmarks.push_back({sdk::kLayoutDlib68, s.landmarks});
    {
      float x0 = s.landmarks[0].x, y0 = s.landmarks[0].y, x1 = x0, y1 = y0;
      for (const auto& q : s.landmarks) {
        x0 = std::min(x0, q.x);
        y0 = std::min(y0, q.y);
        x1 = std::max(x1, q.x);
        y1 = std::max(y1, q.y);
      }
      // Landmarks are pixel centres, boxes edge coordinates: + 0.5.
      e.boxes.push_back({cv::Rect2f(x0 + 0.5f, y0 + 0.5f, x1 - x0, y1 - y0), "face", 1.0f});
    }
    e.mask = sdk::RegionMask{sdk::kLabelMapMt14, s.labels};
    e.mask_label_map = sdk::kLabelMapMt14;
    if (!o.pairs) {
      e.rel_path = pad(index) + ".png";
      e.path = "synth:" + e.rel_path;
      bytes[e.path] = &s.bare_png;
      entries.push_back(std::move(e));
      continue;
    }
    e.pair_group = e.subject;
    core::ImageEntry m = e;
    e.pair_role = "bare";
    e.rel_path = pad(index) + "_bare.png";
    e.path = "synth:" + e.rel_path;
    bytes[e.path] = &s.bare_png;
    m.pair_role = "makeup";
    m.rel_path = pad(index) + "_makeup.png";
    m.path = "synth:" + m.rel_path;
    bytes[m.path] = &s.makeup_png;
    for (const auto& [k, v] : flatten_palette(s.palette)) {
      if (v.is_number()) m.attributes[k] = v.get<double>();
      else m.attributes[k] = v.get<std::string>();
    }
    palettes.push_back({{"subject", m.subject}, {"pair_group", m.pair_group},
                        {"file", "images/" + core::formats::export_path(m)}, {"palette", s.palette}});
    entries.push_back(std::move(e));
    entries.push_back(std::move(m));
  }

  progress.phase("writing", -1);
  core::WriteOptions wo;
  wo.sources[kSynthSourceName] = core::SourceInfo{kSynthSourceName, kSynthLicense, kSynthConsent, true};
  wo.read_image = [&bytes](const core::ImageEntry& e, std::vector<std::uint8_t>& out) {
    auto it = bytes.find(e.path);
    if (it == bytes.end()) return Status::error(e.path + ": no image bytes (generator bug)");
    out = *it->second;
    return Status::ok();
  };
  std::map<std::string, std::vector<std::string>> label_sets = {
      {"monk", {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}},
      {"fitzpatrick", {"I", "II", "III", "IV", "V", "VI"}},
      {"undertone", {"cool", "neutral", "warm"}}};
  auto written = core::write_dataset("kohl", entries, label_sets, {}, out_dir, wo);
  if (!written) return written.status();

  // Beside the dataset (the kohl format ignores other files): what was drawn per subject,
  // and the palettes of the made-up twins as JSON (the attributes carry them flattened).
  {
    std::ofstream pf(fs::path(out_dir) / "params.jsonl");
    for (std::size_t i = 0; i < n; ++i)
      pf << Json{{"subject", synth_subject(o.seed, o.first + i)}, {"index", o.first + i}, {"params", slots[i].params}}.dump()
         << "\n";
    if (!pf) return Status::io_error(out_dir + "/params.jsonl: cannot write");
  }
  if (o.pairs) {
    std::ofstream pf(fs::path(out_dir) / "palettes.json");
    pf << Json{{"format", "kohl-synth-palettes"}, {"version", 1}, {"seed", o.seed}, {"palettes", palettes}}.dump(1) << "\n";
    if (!pf) return Status::io_error(out_dir + "/palettes.json: cannot write");
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return Json{{"images", entries.size()},
              {"faces", n},
              {"pairs", o.pairs ? n : 0},
              {"out", out_dir},
              {"seed", o.seed},
              {"first", o.first},
              {"size", o.size},
              {"threads", o.threads},
              {"seconds", std::round(seconds * 1000.0) / 1000.0},
              {"faces_per_second", std::round(static_cast<double>(n) / std::max(1e-9, gen_seconds) * 10.0) / 10.0}};
}

}  // namespace kohl::faces

// Colour science for the face domain: sRGB <-> CIELAB (D65, 2 degree observer), CIEDE2000,
// the Individual Typology Angle (ITA) with Fitzpatrick17k's thresholds, the Monk Skin Tone
// scale and a hue-angle undertone heuristic. Header-only so that plugins (renderers,
// evaluators, auto-annotators) and the host compute exactly the same numbers.
//
// Oracle: scikit-image 0.19 (skimage.color.rgb2lab / lab2rgb / deltaE_ciede2000). The
// constants below are skimage's, not the "exact" CIE ones, so results agree to ~1e-12:
// - sRGB decode/encode: IEC 61966-2-1 piecewise curve, thresholds 0.04045 / 0.0031308.
// - RGB -> XYZ matrix: skimage's xyz_from_rgb (0.412453, 0.357580, ...); XYZ -> RGB is its
//   inverse (computed once here, as skimage does with linalg.inv).
// - White D65/2: (0.95047, 1, 1.08883); Lab's f(t): cbrt above 0.008856, else
//   7.787 t + 16/116; the inverse switches at 0.2068966 and clamps Z < 0 to 0 (skimage warns).
// Persisted: nothing here is persisted except through its users (palette JSON stores Lab;
// the "monk" / "fitzpatrick" / "undertone" label names come from these functions).
//
// Thread-safety: pure functions; the tables (LUT, inverse matrix, Monk Lab values) are
// function-local statics, initialised once thread-safely. Nothing throws.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>

#include <opencv2/core.hpp>

#include "kohl/sdk/status.hpp"

namespace kohl::sdk::color {

// CIELAB, D65 white, 2 degree observer. L in [0, 100]; a, b roughly [-128, 127] for sRGB.
struct Lab {
  double L = 0, a = 0, b = 0;
};

namespace detail {

constexpr double kPi = 3.14159265358979323846;
constexpr double kWhiteX = 0.95047, kWhiteY = 1.0, kWhiteZ = 1.08883;

// skimage.color.colorconv.xyz_from_rgb (row-major: X, Y, Z rows).
constexpr double kXyzFromRgb[3][3] = {{0.412453, 0.357580, 0.180423},
                                      {0.212671, 0.715160, 0.072169},
                                      {0.019334, 0.119193, 0.950227}};

struct Mat3 {
  double m[3][3];
};

// skimage's rgb_from_xyz = linalg.inv(xyz_from_rgb); the adjugate in double agrees with
// LAPACK's LU to the last bit or two.
inline const Mat3& rgb_from_xyz() {
  static const Mat3 inv = [] {
    const auto& a = kXyzFromRgb;
    Mat3 r{};
    const double c00 = a[1][1] * a[2][2] - a[1][2] * a[2][1];
    const double c01 = a[1][2] * a[2][0] - a[1][0] * a[2][2];
    const double c02 = a[1][0] * a[2][1] - a[1][1] * a[2][0];
    const double det = a[0][0] * c00 + a[0][1] * c01 + a[0][2] * c02;
    r.m[0][0] = c00 / det;
    r.m[0][1] = (a[0][2] * a[2][1] - a[0][1] * a[2][2]) / det;
    r.m[0][2] = (a[0][1] * a[1][2] - a[0][2] * a[1][1]) / det;
    r.m[1][0] = c01 / det;
    r.m[1][1] = (a[0][0] * a[2][2] - a[0][2] * a[2][0]) / det;
    r.m[1][2] = (a[0][2] * a[1][0] - a[0][0] * a[1][2]) / det;
    r.m[2][0] = c02 / det;
    r.m[2][1] = (a[0][1] * a[2][0] - a[0][0] * a[2][1]) / det;
    r.m[2][2] = (a[0][0] * a[1][1] - a[0][1] * a[1][0]) / det;
    return r;
  }();
  return inv;
}

// sRGB transfer function, IEC 61966-2-1 (skimage's thresholds).
inline double srgb_decode(double v) { return v > 0.04045 ? std::pow((v + 0.055) / 1.055, 2.4) : v / 12.92; }
inline double srgb_encode(double v) { return v > 0.0031308 ? 1.055 * std::pow(v, 1.0 / 2.4) - 0.055 : v * 12.92; }

// Linear-light value of each 8-bit sRGB code: the expensive pow() done once per code.
inline const std::array<double, 256>& srgb8_linear_lut() {
  static const std::array<double, 256> lut = [] {
    std::array<double, 256> t{};
    for (int i = 0; i < 256; ++i) t[static_cast<std::size_t>(i)] = srgb_decode(i / 255.0);
    return t;
  }();
  return lut;
}

// Cube root of a positive normal double: a bit-trick first guess (within ~3 %) and two Halley
// steps (cubic convergence) give a relative error below 1e-14, about 3x faster than
// std::cbrt, which dominated bgr8_to_lab's cost.
inline double cbrt_positive(double x) {
  std::uint64_t i;
  std::memcpy(&i, &x, sizeof i);
  i = i / 3 + 0x2A9F7893782DA1CEull;  // divides the exponent by 3 (bias-corrected)
  double y;
  std::memcpy(&y, &i, sizeof y);
  for (int k = 0; k < 2; ++k) {
    const double y3 = y * y * y;
    y = y * (y3 + 2.0 * x) / (2.0 * y3 + x);
  }
  return y;
}

inline double lab_f(double t) { return t > 0.008856 ? cbrt_positive(t) : 7.787 * t + 16.0 / 116.0; }
inline double lab_f_inv(double t) { return t > 0.2068966 ? t * t * t : (t - 16.0 / 116.0) / 7.787; }

// Linear sRGB -> Lab (skimage's rgb2xyz matrix step then xyz2lab).
inline Lab linear_rgb_to_lab(double r, double g, double b) {
  const auto& m = kXyzFromRgb;
  const double x = m[0][0] * r + m[0][1] * g + m[0][2] * b;
  const double y = m[1][0] * r + m[1][1] * g + m[1][2] * b;
  const double z = m[2][0] * r + m[2][1] * g + m[2][2] * b;
  const double fx = lab_f(x / kWhiteX), fy = lab_f(y / kWhiteY), fz = lab_f(z / kWhiteZ);
  return {116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)};
}

// One BGR byte triple -> Lab through the LUT (the hot path of bgr8_to_lab and skin tone).
inline Lab bgr8_ptr_to_lab(const std::uint8_t* bgr, const std::array<double, 256>& lut) {
  return linear_rgb_to_lab(lut[bgr[2]], lut[bgr[1]], lut[bgr[0]]);
}

inline std::uint8_t to_byte(double v01) {
  const double v = std::clamp(v01, 0.0, 1.0) * 255.0;
  return static_cast<std::uint8_t>(std::lround(v));
}

}  // namespace detail

// sRGB components in [0, 1] -> CIELAB D65/2deg, as skimage.color.rgb2lab. Values outside
// [0, 1] are extrapolated by the same formulas (no clipping), as skimage does.
inline Lab srgb_to_lab(double r, double g, double b) {
  return detail::linear_rgb_to_lab(detail::srgb_decode(r), detail::srgb_decode(g), detail::srgb_decode(b));
}

// CIELAB -> sRGB in [0, 1], clipped (out-of-gamut colours land on the cube's surface), as
// skimage.color.lab2rgb, including its clamp of Z < 0 to 0.
inline std::array<double, 3> lab_to_srgb(const Lab& lab) {
  const double fy = (lab.L + 16.0) / 116.0;
  const double fx = lab.a / 500.0 + fy;
  const double fz = std::max(fy - lab.b / 200.0, 0.0);
  const double x = detail::lab_f_inv(fx) * detail::kWhiteX;
  const double y = detail::lab_f_inv(fy) * detail::kWhiteY;
  const double z = detail::lab_f_inv(fz) * detail::kWhiteZ;
  const auto& m = detail::rgb_from_xyz().m;
  std::array<double, 3> rgb{};
  for (int i = 0; i < 3; ++i) {
    const double lin = m[i][0] * x + m[i][1] * y + m[i][2] * z;
    rgb[static_cast<std::size_t>(i)] = std::clamp(detail::srgb_encode(lin), 0.0, 1.0);
  }
  return rgb;
}

inline Lab bgr8_to_lab(const cv::Vec3b& bgr) { return detail::bgr8_ptr_to_lab(&bgr[0], detail::srgb8_linear_lut()); }

// Lab -> 8-bit BGR, rounded half away from zero after clipping to [0, 1].
inline cv::Vec3b lab_to_bgr8(const Lab& lab) {
  const auto rgb = lab_to_srgb(lab);
  return {detail::to_byte(rgb[2]), detail::to_byte(rgb[1]), detail::to_byte(rgb[0])};
}

// CV_8UC3 BGR image -> CV_32FC3 (L, a, b). Same numbers as srgb_to_lab per pixel (computed in
// double, stored as float); the sRGB decode is a 256-entry LUT. About 20 ns a pixel (2 ms for 100k).
// Returns an empty Mat when bgr8 is not CV_8UC3 (callers check .empty()).
inline cv::Mat bgr8_to_lab(const cv::Mat& bgr8) {
  if (bgr8.type() != CV_8UC3) return {};
  cv::Mat out(bgr8.size(), CV_32FC3);
  const auto& lut = detail::srgb8_linear_lut();
  for (int y = 0; y < bgr8.rows; ++y) {
    const std::uint8_t* src = bgr8.ptr<std::uint8_t>(y);
    float* dst = out.ptr<float>(y);
    for (int x = 0; x < bgr8.cols; ++x, src += 3, dst += 3) {
      const Lab lab = detail::bgr8_ptr_to_lab(src, lut);
      dst[0] = static_cast<float>(lab.L);
      dst[1] = static_cast<float>(lab.a);
      dst[2] = static_cast<float>(lab.b);
    }
  }
  return out;
}

// CV_32FC3 (L, a, b) -> CV_8UC3 BGR, clipped and rounded as lab_to_bgr8(Lab). Returns an
// empty Mat when lab32f is not CV_32FC3.
inline cv::Mat lab_to_bgr8(const cv::Mat& lab32f) {
  if (lab32f.type() != CV_32FC3) return {};
  cv::Mat out(lab32f.size(), CV_8UC3);
  for (int y = 0; y < lab32f.rows; ++y) {
    const float* src = lab32f.ptr<float>(y);
    cv::Vec3b* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < lab32f.cols; ++x, src += 3) dst[x] = lab_to_bgr8(Lab{src[0], src[1], src[2]});
  }
  return out;
}

// CIEDE2000 colour difference (Sharma, Wu, Dalal 2005), a line-by-line port of
// skimage.color.deltaE_ciede2000 (same hue conventions, including hue = 0 and the
// "h_sum * 2 / 2" mean hue when a chroma is zero). Symmetric in x, y.
inline double ciede2000(const Lab& x, const Lab& y, double kL = 1, double kC = 1, double kH = 1) {
  using detail::kPi;
  const double deg = kPi / 180.0;
  const double c25_7 = std::pow(25.0, 7.0);

  double cbar = 0.5 * (std::hypot(x.a, x.b) + std::hypot(y.a, y.b));
  double c7 = std::pow(cbar, 7.0);
  const double g = 0.5 * (1.0 - std::sqrt(c7 / (c7 + c25_7)));
  const double scale = 1.0 + g;
  auto polar = [](double u, double v, double& r, double& t) {
    r = std::hypot(u, v);
    t = std::atan2(v, u);
    if (t < 0.0) t += 2.0 * kPi;
  };
  double c1, h1, c2, h2;
  polar(x.a * scale, x.b, c1, h1);
  polar(y.a * scale, y.b, c2, h2);

  const double lbar = 0.5 * (x.L + y.L);
  const double tmp = (lbar - 50.0) * (lbar - 50.0);
  const double sl = 1.0 + 0.015 * tmp / std::sqrt(20.0 + tmp);
  const double l_term = (y.L - x.L) / (kL * sl);

  cbar = 0.5 * (c1 + c2);
  const double sc = 1.0 + 0.045 * cbar;
  const double c_term = (c2 - c1) / (kC * sc);

  const double h_diff = h2 - h1;
  const double h_sum = h1 + h2;
  const double cc = c1 * c2;

  double dh = h_diff;
  if (h_diff > kPi) dh -= 2.0 * kPi;
  if (h_diff < -kPi) dh += 2.0 * kPi;
  if (cc == 0.0) dh = 0.0;
  const double dh_term = 2.0 * std::sqrt(cc) * std::sin(dh / 2.0);

  double hbar = h_sum;
  if (cc != 0.0 && std::abs(h_diff) > kPi) hbar += h_sum < 2.0 * kPi ? 2.0 * kPi : -2.0 * kPi;
  if (cc == 0.0) hbar *= 2.0;
  hbar *= 0.5;

  const double t = 1.0 - 0.17 * std::cos(hbar - 30.0 * deg) + 0.24 * std::cos(2.0 * hbar) +
                   0.32 * std::cos(3.0 * hbar + 6.0 * deg) - 0.20 * std::cos(4.0 * hbar - 63.0 * deg);
  const double sh = 1.0 + 0.015 * cbar * t;
  const double h_term = dh_term / (kH * sh);

  c7 = std::pow(cbar, 7.0);
  const double rc = 2.0 * std::sqrt(c7 / (c7 + c25_7));
  const double hbar_deg = hbar / deg;
  const double dtheta = 30.0 * deg * std::exp(-((hbar_deg - 275.0) / 25.0) * ((hbar_deg - 275.0) / 25.0));
  const double r_term = -std::sin(2.0 * dtheta) * rc * c_term * h_term;

  const double de2 = l_term * l_term + c_term * c_term + h_term * h_term + r_term;
  return std::sqrt(std::max(de2, 0.0));
}

// Individual Typology Angle, degrees: atan2(L - 50, b) * 180 / pi. Higher = lighter skin.
// atan2 (not atan) so that b <= 0 gives a defined angle (beyond +-90 for bluish colours).
inline double ita_degrees(const Lab& lab) { return std::atan2(lab.L - 50.0, lab.b) * 180.0 / detail::kPi; }

// Fitzpatrick type 1..6 from ITA (strict ">", as Fitzpatrick17k's ITA_label):
// > 55 I, > 41 II, > 28 III, > 19 IV, > 10 V, else VI (NaN gives VI). These are the
// thresholds Fitzpatrick17k's code calls 'kinyanjui' (Kinyanjui et al. 2019); its other,
// "empirical" set (45/28/17/5/-20) is not used here.
inline int fitzpatrick_from_ita(double ita) {
  if (ita > 55.0) return 1;
  if (ita > 41.0) return 2;
  if (ita > 28.0) return 3;
  if (ita > 19.0) return 4;
  if (ita > 10.0) return 5;
  return 6;
}

// "I".."VI" (the persisted class names of the "fitzpatrick" label set); "?" outside 1..6.
inline const char* fitzpatrick_roman(int type) {
  static const char* const kNames[] = {"I", "II", "III", "IV", "V", "VI"};
  return type >= 1 && type <= 6 ? kNames[type - 1] : "?";
}

struct MonkShade {
  int index;        // 1 (lightest) .. 10 (darkest); the "monk" class name is its decimal
  const char* hex;  // "#rrggbb", Google's published swatch
  Lab lab;          // srgb_to_lab of the swatch
};

// The Monk Skin Tone scale (Google, 2022), Lab computed from the hex swatches on first use.
inline const std::array<MonkShade, 10>& monk_shades() {
  static const std::array<MonkShade, 10> shades = [] {
    static const char* const kHex[10] = {"#f6ede4", "#f3e7db", "#f7ead0", "#eadaba", "#d7bd96",
                                         "#a07e56", "#825c43", "#604134", "#3a312a", "#292420"};
    std::array<MonkShade, 10> s{};
    for (int i = 0; i < 10; ++i) {
      unsigned r = 0, g = 0, b = 0;
      std::sscanf(kHex[i] + 1, "%2x%2x%2x", &r, &g, &b);
      s[static_cast<std::size_t>(i)] = {i + 1, kHex[i], srgb_to_lab(r / 255.0, g / 255.0, b / 255.0)};
    }
    return s;
  }();
  return shades;
}

// The Monk shade 1..10 nearest to lab by CIEDE2000; *delta_e gets that distance.
inline int nearest_monk(const Lab& lab, double* delta_e = nullptr) {
  int best = 1;
  double best_d = std::numeric_limits<double>::infinity();
  for (const auto& s : monk_shades()) {
    const double d = ciede2000(lab, s.lab);
    if (d < best_d) {
      best_d = d;
      best = s.index;
    }
  }
  if (delta_e) *delta_e = best_d;
  return best;
}

// CIE hue angle h_ab = atan2(b, a) in degrees, in [0, 360).
inline double hue_angle_degrees(const Lab& lab) {
  double h = std::atan2(lab.b, lab.a) * 180.0 / detail::kPi;
  if (h < 0.0) h += 360.0;
  return h;
}

// Undertone thresholds (a heuristic: there is no standard). Skin hue angles lie between
// about 30 and 90 degrees; lower = redder/pinker (cool), higher = yellower (warm). The Monk
// swatches span 48.8 (shade 8, the reddest) to 89.1 (shade 3); 7 is at 59.0, 1/2 at ~74.
constexpr double kUndertoneCoolBelow = 50.0;  // h < 50: cool
constexpr double kUndertoneWarmAbove = 60.0;  // 60 < h < 180: warm; [50, 60]: neutral
constexpr double kUndertoneMinChroma = 2.0;   // below this chroma the hue is noise: neutral

// "cool" | "neutral" | "warm" from the hue angle (persisted names of the "undertone" set).
// Bluish colours (h >= 180, b* < 0) count as cool; near-greys (C* < 2) as neutral.
inline const char* undertone(const Lab& lab) {
  if (std::hypot(lab.a, lab.b) < kUndertoneMinChroma) return "neutral";
  const double h = hue_angle_degrees(lab);
  if (h < kUndertoneCoolBelow || h >= 180.0) return "cool";
  if (h > kUndertoneWarmAbove) return "warm";
  return "neutral";
}

// "#rrggbb" (case-insensitive) or "L,a,b" (three numbers, spaces allowed, L in 0..100)
// -> Lab. Locale-independent (std::from_chars: '.' is always the decimal point, even after
// Qt's setlocale). Called by the CLI and parameter parsing; errors are invalid-argument.
inline Result<Lab> parse_color(const std::string& text) {
  const auto fail = [&](const std::string& why) -> Status {
    return Status::invalid("expected #rrggbb or L,a,b, got '" + text + "'" + (why.empty() ? "" : ": " + why));
  };
  auto trim = [](std::string s) {
    const auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && sp(s.front())) s.erase(s.begin());
    while (!s.empty() && sp(s.back())) s.pop_back();
    return s;
  };
  const std::string t = trim(text);
  if (!t.empty() && t[0] == '#') {
    if (t.size() != 7) return fail("");
    int v[6];
    for (int i = 0; i < 6; ++i) {
      const char c = t[static_cast<std::size_t>(i) + 1];
      if (c >= '0' && c <= '9') v[i] = c - '0';
      else if (c >= 'a' && c <= 'f') v[i] = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v[i] = c - 'A' + 10;
      else return fail("");
    }
    return srgb_to_lab((v[0] * 16 + v[1]) / 255.0, (v[2] * 16 + v[3]) / 255.0, (v[4] * 16 + v[5]) / 255.0);
  }
  double num[3];
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t comma = t.find(',', start);
    if ((i < 2) != (comma != std::string::npos)) return fail("");
    std::string part = trim(t.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!part.empty() && part[0] == '+') part.erase(part.begin());  // from_chars rejects '+'
    const char* end = part.data() + part.size();
    const auto [ptr, ec] = std::from_chars(part.data(), end, num[i]);
    if (part.empty() || ec != std::errc() || ptr != end || !std::isfinite(num[i])) return fail("");
    start = comma + 1;
  }
  if (num[0] < 0.0 || num[0] > 100.0) return fail("L must lie in 0..100");
  return Lab{num[0], num[1], num[2]};
}

// Lab -> "#rrggbb" (lowercase) through lab_to_bgr8 (clipped to the sRGB gamut).
inline std::string to_hex(const Lab& lab) {
  const cv::Vec3b bgr = lab_to_bgr8(lab);
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", bgr[2], bgr[1], bgr[0]);
  return buf;
}

}  // namespace kohl::sdk::color

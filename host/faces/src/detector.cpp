// Face detection and analysis. The detector itself (dlib HOG + shape predictor, OpenCV Haar
// cascade) is in libkohl_detect.so (detect_engine.cpp), loaded on first use.
#include "kohl/faces/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include <opencv2/imgproc.hpp>

#include "kohl/core/load_beside.hpp"

namespace kohl::faces {

using sdk::Json;
using sdk::Result;
using sdk::Status;

// ---- Alignment --------------------------------------------------------------------------

namespace {
cv::Point2f apply(const cv::Matx23d& m, cv::Point2f p) {
  return {static_cast<float>(m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2)),
          static_cast<float>(m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2))};
}
cv::Point2f mean_of(const std::vector<cv::Point2f>& p, int first, int last) {
  cv::Point2f s(0, 0);
  for (int i = first; i <= last; ++i) s += p[static_cast<std::size_t>(i)];
  return s / static_cast<float>(last - first + 1);
}
}  // namespace

cv::Point2f Alignment::aligned(cv::Point2f p) const { return apply(to_aligned, p); }
cv::Point2f Alignment::original(cv::Point2f p) const { return apply(to_original, p); }
cv::Mat Alignment::warp(const cv::Mat& image) const {
  cv::Mat out;
  cv::warpAffine(image, out, cv::Mat(to_aligned), size, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}

Alignment align_face(const std::vector<cv::Point2f>& p, cv::Size size, double margin) {
  Alignment a;
  a.size = size;
  margin = std::clamp(margin, 0.0, 0.45);
  const cv::Point2f le = mean_of(p, 36, 41), re = mean_of(p, 42, 47), mouth = mean_of(p, 48, 59);
  const cv::Point2f eyes = (le + re) * 0.5f;
  const double angle = std::atan2(re.y - le.y, re.x - le.x);  // tilt of the eye line
  a.angle_degrees = angle * 180.0 / CV_PI;
  // The eye-to-mouth distance sets the scale: it fills (1 - 2 margin) of the crop's height
  // times 0.5 (eyes and mouth sit in the middle half of a face's height).
  const double face = std::max(1e-3, static_cast<double>(cv::norm(mouth - eyes)));
  const double scale = (1.0 - 2.0 * margin) * size.height * 0.5 / face;
  // Rotate by -angle about the eye centre, scale, then put the eye centre at (0.5, 0.4).
  const double c = std::cos(-angle) * scale, s = std::sin(-angle) * scale;
  const cv::Point2d target(0.5 * size.width, 0.4 * size.height);
  a.to_aligned = cv::Matx23d(c, -s, target.x - (c * eyes.x - s * eyes.y),  //
                             s, c, target.y - (s * eyes.x + c * eyes.y));
  cv::Mat inv;
  cv::invertAffineTransform(cv::Mat(a.to_aligned), inv);
  a.to_original = cv::Matx23d(inv);
  return a;
}

// ---- FaceDetector -----------------------------------------------------------------------

namespace {

using CreateFn = void* (*)(const DetectorOptions*, DetectorOptions*, Status*);
using RunFn = bool (*)(void*, const DetectorOptions*, const cv::Mat*, std::vector<DetectedFace>*, Status*);
using DestroyFn = void (*)(void*);

struct Engine {
  CreateFn create = nullptr;
  RunFn run = nullptr;
  DestroyFn destroy = nullptr;
  std::string error;
};

// libkohl_detect.so (detect_engine.cpp), loaded on first use.
const Engine& engine() {
  static Engine e;
  static std::once_flag once;
  std::call_once(once, [] {
    core::detail::load_entry_points("libkohl_detect.so", "face detection", e.error,
                                    std::pair{"kohl_detect_create", &e.create}, std::pair{"kohl_detect_run", &e.run},
                                    std::pair{"kohl_detect_destroy", &e.destroy});
  });
  return e;
}

}  // namespace

struct FaceDetector::Impl {
  void* handle = nullptr;  // the engine's detector
  ~Impl() {
    if (handle) engine().destroy(handle);
  }
};

FaceDetector::FaceDetector(DetectorOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}
FaceDetector::~FaceDetector() = default;

Result<std::unique_ptr<FaceDetector>> FaceDetector::create(const DetectorOptions& options) {
  const Engine& e = engine();
  if (!e.error.empty()) return Status::error(e.error);
  DetectorOptions resolved;
  Status status;
  auto impl = std::make_unique<Impl>();
  impl->handle = e.create(&options, &resolved, &status);
  if (!impl->handle) return status;
  return std::unique_ptr<FaceDetector>(new FaceDetector(std::move(resolved), std::move(impl)));
}

Result<std::unique_ptr<FaceDetector>> FaceDetector::clone() const { return create(options_); }

std::string FaceDetector::landmark_model() const { return options_.landmarks ? options_.model_path : std::string(); }

Result<std::vector<DetectedFace>> FaceDetector::detect(const cv::Mat& image) {
  std::vector<DetectedFace> faces;
  Status status;
  if (!engine().run(impl_->handle, &options_, &image, &faces, &status)) return status;
  return faces;
}

// ---- Analysis ---------------------------------------------------------------------------

cv::Mat skin_measure_mask(const sdk::face::FaceRegions& regions, float nose_length) {
  cv::Mat m = regions.labels == sdk::face::kMtSkin;
  const int r = std::max(1, static_cast<int>(std::lround(nose_length * 0.1f)));
  cv::erode(m, m, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1)));
  return m;
}

Result<std::vector<FaceAnalysis>> analyze_faces(const cv::Mat& bgr, FaceDetector& detector) {
  if (bgr.type() != CV_8UC3) return Status::invalid("expected an 8-bit BGR image");
  auto found = detector.detect(bgr);
  if (!found) return found.status();
  std::vector<FaceAnalysis> out;
  for (auto& f : found.value()) {
    FaceAnalysis a;
    a.face = std::move(f);
    if (a.face.landmarks.size() == 68) {
      a.regions = sdk::face::face_regions(bgr.size(), a.face.landmarks);
      auto skin = sdk::color::measure_skin_tone(
          bgr, skin_measure_mask(a.regions, sdk::face::nose_length(a.face.landmarks)));
      if (skin) a.skin = skin.value();
      else a.skin_error = skin.status().message();
    } else {
      a.skin_error = "no landmarks (skin tone needs the face regions)";
    }
    out.push_back(std::move(a));
  }
  return out;
}

Json analysis_json(const FaceAnalysis& a) {
  const auto& b = a.face.box;
  Json j = {{"box", {b.x, b.y, b.width, b.height}}, {"score", a.face.score}, {"detector", a.face.detector}};
  Json pts = Json::array();
  for (const auto& p : a.face.landmarks) pts.push_back({p.x, p.y});
  j["landmarks"] = pts;
  if (a.skin) {
    const auto& s = *a.skin;
    j["skin"] = {{"ita", s.ita},
                 {"fitzpatrick", sdk::color::fitzpatrick_roman(s.fitzpatrick)},
                 {"monk", s.monk},
                 {"undertone", s.undertone},
                 {"lab", {s.lab.L, s.lab.a, s.lab.b}},
                 {"hex", sdk::color::to_hex(s.lab)},
                 {"pixels", s.kept}};
  } else {
    j["skin"] = nullptr;
    j["skin_error"] = a.skin_error;
  }
  return j;
}

}  // namespace kohl::faces

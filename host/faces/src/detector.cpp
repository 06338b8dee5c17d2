// Face detection and analysis: dlib HOG + shape predictor, OpenCV Haar cascade.
#include "kohl/faces/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

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
std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// The landmark model is ~100 MB and takes about a second to read: once per process and path.
Result<std::shared_ptr<const dlib::shape_predictor>> load_predictor(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const dlib::shape_predictor>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(path); it != cache.end()) return it->second;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Status::io_error(path + ": the 68-point landmark model is missing (install Debian's libdlib-data, "
                             "or set KOHL_DLIB_MODEL to a shape_predictor_68_face_landmarks.dat)");
  auto sp = std::make_shared<dlib::shape_predictor>();
  try {
    dlib::deserialize(path) >> *sp;
  } catch (const std::exception& e) {
    return Status::invalid(path + ": not a dlib shape predictor (" + e.what() + ")");
  }
  if (sp->num_parts() != 68)
    return Status::invalid(path + ": expected a 68-point shape predictor, got " + std::to_string(sp->num_parts()) +
                           " points");
  cache[path] = sp;
  return std::shared_ptr<const dlib::shape_predictor>(sp);
}
}  // namespace

struct FaceDetector::Impl {
  dlib::frontal_face_detector hog = dlib::get_frontal_face_detector();
  cv::CascadeClassifier cascade;
  std::shared_ptr<const dlib::shape_predictor> predictor;
  std::string model_path;
};

FaceDetector::FaceDetector(DetectorOptions options, std::unique_ptr<Impl> impl)
    : options_(std::move(options)), impl_(std::move(impl)) {}
FaceDetector::~FaceDetector() = default;

Result<std::unique_ptr<FaceDetector>> FaceDetector::create(const DetectorOptions& options) {
  DetectorOptions o = options;
  if (o.detector != "auto" && o.detector != kDetectorDlibHog && o.detector != kDetectorOpencvHaar)
    return Status::invalid("detector '" + o.detector + "': expected auto, dlib-hog or opencv-haar");
  auto impl = std::make_unique<Impl>();
  if (o.detector != kDetectorDlibHog) {
    if (o.cascade_path.empty())
      o.cascade_path = env_or("KOHL_CASCADE_DIR", KOHL_CASCADE_DIR_DEFAULT) + "/haarcascade_frontalface_default.xml";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(o.cascade_path, ec))
      return Status::io_error(o.cascade_path + ": OpenCV's face cascade is missing (install Debian's opencv-data, or "
                               "set KOHL_CASCADE_DIR)");
    if (!impl->cascade.load(o.cascade_path))
      return Status::invalid(o.cascade_path + ": not an OpenCV cascade classifier");
  }
  if (o.landmarks) {
    if (o.model_path.empty()) o.model_path = env_or("KOHL_DLIB_MODEL", KOHL_DLIB_MODEL_DEFAULT);
    auto sp = load_predictor(o.model_path);
    if (!sp) return sp.status();
    impl->predictor = sp.value();
    impl->model_path = o.model_path;
  }
  return std::unique_ptr<FaceDetector>(new FaceDetector(std::move(o), std::move(impl)));
}

Result<std::unique_ptr<FaceDetector>> FaceDetector::clone() const { return create(options_); }

std::string FaceDetector::landmark_model() const { return impl_->model_path; }

Result<std::vector<DetectedFace>> FaceDetector::detect(const cv::Mat& image) {
  if (image.empty()) return Status::invalid("empty image");
  cv::Mat gray;
  if (image.type() == CV_8UC3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  else if (image.type() == CV_8UC1) gray = image;
  else return Status::invalid("expected an 8-bit BGR or grey image");

  // Detection scale: small images up, large ones down (see DetectorOptions).
  const int side = std::max(gray.cols, gray.rows);
  double scale = 1.0;
  if (side < options_.min_side_for_upsample) scale = 2.0;
  else if (options_.max_side > 0 && side > options_.max_side) scale = static_cast<double>(options_.max_side) / side;
  cv::Mat det_img = gray;
  if (scale != 1.0)
    cv::resize(gray, det_img, cv::Size(), scale, scale, scale > 1 ? cv::INTER_LINEAR : cv::INTER_AREA);

  std::vector<DetectedFace> faces;
  try {
    if (options_.detector != kDetectorOpencvHaar) {
      dlib::cv_image<unsigned char> dimg(det_img);
      std::vector<dlib::rect_detection> dets;
      impl_->hog(dimg, dets);
      for (const auto& d : dets) {
        DetectedFace f;
        f.box = cv::Rect2f(static_cast<float>(d.rect.left() / scale), static_cast<float>(d.rect.top() / scale),
                           static_cast<float>(d.rect.width() / scale), static_cast<float>(d.rect.height() / scale));
        f.score = static_cast<float>(d.detection_confidence);
        f.detector = kDetectorDlibHog;
        faces.push_back(std::move(f));
      }
    }
    if (faces.empty() && options_.detector != kDetectorDlibHog) {
      cv::Mat eq;
      cv::equalizeHist(det_img, eq);
      std::vector<cv::Rect> rects;
      const int min_face = std::max(24, static_cast<int>(std::min(eq.cols, eq.rows) * 0.1));
      impl_->cascade.detectMultiScale(eq, rects, 1.1, 5, 0, cv::Size(min_face, min_face));
      for (const auto& r : rects) {
        // The cascade's square reaches higher (forehead) and wider than dlib's box, which
        // the landmark model was trained on: shrink it to dlib's convention (measured on
        // faces both detectors find: ~0.8 of the size, centre 0.08 of it lower).
        const double s = 0.8;
        const double cx = r.x + r.width * 0.5, cy = r.y + r.height * 0.58;
        const double w = r.width * s, h = r.height * s;
        DetectedFace f;
        f.box = cv::Rect2f(static_cast<float>((cx - w / 2) / scale), static_cast<float>((cy - h / 2) / scale),
                           static_cast<float>(w / scale), static_cast<float>(h / scale));
        f.score = 1.0f;
        f.detector = kDetectorOpencvHaar;
        faces.push_back(std::move(f));
      }
    }
    std::sort(faces.begin(), faces.end(),
              [](const DetectedFace& a, const DetectedFace& b) { return a.box.area() > b.box.area(); });
    if (options_.landmarks && impl_->predictor) {
      dlib::cv_image<unsigned char> full(gray);
      for (auto& f : faces) {
        const dlib::rectangle r(static_cast<long>(std::lround(f.box.x)), static_cast<long>(std::lround(f.box.y)),
                                static_cast<long>(std::lround(f.box.x + f.box.width)) - 1,
                                static_cast<long>(std::lround(f.box.y + f.box.height)) - 1);
        const dlib::full_object_detection shape = (*impl_->predictor)(full, r);
        f.landmarks.reserve(shape.num_parts());
        for (unsigned long i = 0; i < shape.num_parts(); ++i)
          f.landmarks.emplace_back(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
      }
    }
  } catch (const std::exception& e) {
    return Status::error(std::string("face detection failed: ") + e.what());
  }
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

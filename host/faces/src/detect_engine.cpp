// libkohl_detect.so: the face detector's engine, dlib's HOG detector and shape predictor and
// OpenCV's Haar cascade. The only library that links dlib and OpenCV's objdetect (and through
// it dnn and protobuf): FaceDetector (detector.cpp) loads it on first use, so the commands
// that never look for a face start without them (about 6 ms of every `kohl` command's
// start-up, bench/import). Entry points take C++ types: it is built with Kohl, never apart.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "kohl/faces/detector.hpp"

#define KOHL_DETECT_API extern "C" __attribute__((visibility("default")))

namespace kohl::faces {

using sdk::Result;
using sdk::Status;

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


struct Engine {
  dlib::frontal_face_detector hog = dlib::get_frontal_face_detector();
  cv::CascadeClassifier cascade;
  std::shared_ptr<const dlib::shape_predictor> predictor;
};

// Resolves the options' default paths into *resolved and loads what they name.
KOHL_DETECT_API void* kohl_detect_create(const DetectorOptions* options, DetectorOptions* resolved, Status* status) {
  const DetectorOptions& o_in = *options;
  DetectorOptions o = o_in;
  auto fail = [&](Status s) -> void* {
    *status = std::move(s);
    return nullptr;
  };
  if (o.detector != "auto" && o.detector != kDetectorDlibHog && o.detector != kDetectorOpencvHaar)
    return fail(Status::invalid("detector '" + o.detector + "': expected auto, dlib-hog or opencv-haar"));
  auto engine = std::make_unique<Engine>();
  if (o.detector != kDetectorDlibHog) {
    if (o.cascade_path.empty())
      o.cascade_path = env_or("KOHL_CASCADE_DIR", KOHL_CASCADE_DIR_DEFAULT) + "/haarcascade_frontalface_default.xml";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(o.cascade_path, ec))
      return fail(Status::io_error(o.cascade_path + ": OpenCV's face cascade is missing (install Debian's opencv-data, "
                                    "or set KOHL_CASCADE_DIR)"));
    if (!engine->cascade.load(o.cascade_path))
      return fail(Status::invalid(o.cascade_path + ": not an OpenCV cascade classifier"));
  }
  if (o.landmarks) {
    if (o.model_path.empty()) o.model_path = env_or("KOHL_DLIB_MODEL", KOHL_DLIB_MODEL_DEFAULT);
    auto sp = load_predictor(o.model_path);
    if (!sp) return fail(sp.status());
    engine->predictor = sp.value();
  }
  *resolved = std::move(o);
  return engine.release();
}

KOHL_DETECT_API void kohl_detect_destroy(void* handle) { delete static_cast<Engine*>(handle); }

KOHL_DETECT_API bool kohl_detect_run(void* handle, const DetectorOptions* options, const cv::Mat* input,
                                     std::vector<DetectedFace>* out, Status* status) {
  Engine* engine = static_cast<Engine*>(handle);
  const DetectorOptions& options_ = *options;
  const cv::Mat& image = *input;
  auto fail = [&](Status s) {
    *status = std::move(s);
    return false;
  };
  if (image.empty()) return fail(Status::invalid("empty image"));
  cv::Mat gray;
  if (image.type() == CV_8UC3) cv::cvtColor(image, gray, cv::COLOR_BGR2GRAY);
  else if (image.type() == CV_8UC1) gray = image;
  else return fail(Status::invalid("expected an 8-bit BGR or grey image"));

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
      engine->hog(dimg, dets);
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
      engine->cascade.detectMultiScale(eq, rects, 1.1, 5, 0, cv::Size(min_face, min_face));
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
    if (options_.landmarks && engine->predictor) {
      dlib::cv_image<unsigned char> full(gray);
      for (auto& f : faces) {
        const dlib::rectangle r(static_cast<long>(std::lround(f.box.x)), static_cast<long>(std::lround(f.box.y)),
                                static_cast<long>(std::lround(f.box.x + f.box.width)) - 1,
                                static_cast<long>(std::lround(f.box.y + f.box.height)) - 1);
        const dlib::full_object_detection shape = (*engine->predictor)(full, r);
        f.landmarks.reserve(shape.num_parts());
        for (unsigned long i = 0; i < shape.num_parts(); ++i)
          f.landmarks.emplace_back(static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y()));
      }
    }
  } catch (const std::exception& e) {
    return fail(Status::error(std::string("face detection failed: ") + e.what()));
  }
  *out = std::move(faces);
  return true;
}

}  // namespace kohl::faces

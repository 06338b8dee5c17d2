// Face detection, 68-point landmarks, alignment and per-face analysis (regions, skin tone).
//
// Detectors: dlib's HOG frontal face detector (compiled into libdlib, no model file: the
// path that needs no non-commercial data) and OpenCV's Haar cascade (opencv-data) as the
// second detector. Landmarks: dlib's shape predictor with Debian libdlib-data's
// shape_predictor_68_face_landmarks.dat, trained on iBUG 300-W, whose terms forbid
// commercial use (kLandmarkModelLicense; shown by `kohl faces detect --help` and
// recorded with every auto-annotation).
//
// Threads: a FaceDetector is NOT thread-safe (dlib's detector keeps scratch state); make
// one per worker with clone(), which shares the (read-only, ~100 MB) landmark model.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "kohl/sdk/color.hpp"
#include "kohl/sdk/face_regions.hpp"
#include "kohl/sdk/params.hpp"
#include "kohl/sdk/skin_tone.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::faces {

constexpr const char* kLandmarkModelLicense =
    "dlib's shape_predictor_68_face_landmarks.dat (Debian libdlib-data) is trained on the iBUG 300-W "
    "dataset, whose licence excludes commercial use: do not ship products built on these landmarks "
    "without your own licence or your own model.";

// Persisted detector names (stored with boxes via the annotator string and in JSON output).
constexpr const char* kDetectorDlibHog = "dlib-hog";
constexpr const char* kDetectorOpencvHaar = "opencv-haar";

struct DetectorOptions {
  // dlib-hog | opencv-haar | auto (dlib-hog, then the cascade when HOG finds nothing).
  std::string detector = "auto";
  bool landmarks = true;         // run the 68-point predictor (needs the model file)
  std::string model_path;        // default: $KOHL_DLIB_MODEL, else libdlib-data's file
  std::string cascade_path;      // default: $KOHL_CASCADE_DIR/haarcascade_frontalface_default.xml
  // HOG finds faces of about 80 px and larger: smaller images are upsampled first, larger
  // ones downsampled so their longer side is at most `max_side` (landmarks always run on
  // the full-resolution image).
  int min_side_for_upsample = 400;
  int max_side = 1024;
};

struct DetectedFace {
  cv::Rect2f box;                     // pixels of the input image, dlib's box convention
  float score = 0;                    // detector confidence (HOG margin; 1 for the cascade)
  std::string detector;               // kDetectorDlibHog | kDetectorOpencvHaar
  std::vector<cv::Point2f> landmarks; // 68 points (dlib-68) or empty when landmarks are off
};

// A similarity transform from the original image to an aligned crop: eyes level, the face
// centred with a margin, a fixed output size. Points map both ways, so anything computed
// on the crop can be put back on the original.
struct Alignment {
  cv::Matx23d to_aligned;
  cv::Matx23d to_original;
  cv::Size size;
  double angle_degrees = 0;  // rotation applied (the eye line's tilt in the original)

  cv::Point2f aligned(cv::Point2f p) const;
  cv::Point2f original(cv::Point2f p) const;
  cv::Mat warp(const cv::Mat& image) const;  // the aligned crop of `image`
};

// From 68 landmarks: eye centres at fixed places of an output of `size`. `margin` is the
// share of the crop's width left around the eye-to-mouth square (0.0 .. 0.45).
Alignment align_face(const std::vector<cv::Point2f>& landmarks68, cv::Size size = {256, 256}, double margin = 0.25);

class FaceDetector {
 public:
  // Loads what the options need (the landmark model once per process, shared). Errors
  // name the missing file and the Debian package that provides it.
  static sdk::Result<std::unique_ptr<FaceDetector>> create(const DetectorOptions& options = {});
  ~FaceDetector();
  FaceDetector(const FaceDetector&) = delete;
  FaceDetector& operator=(const FaceDetector&) = delete;

  // A detector for another thread, sharing the landmark model.
  sdk::Result<std::unique_ptr<FaceDetector>> clone() const;

  // Faces in a BGR (CV_8UC3) or grey (CV_8UC1) image, largest first.
  sdk::Result<std::vector<DetectedFace>> detect(const cv::Mat& image);

  const DetectorOptions& options() const { return options_; }
  std::string landmark_model() const;  // path of the model in use ("" without landmarks)

 private:
  struct Impl;
  FaceDetector(DetectorOptions options, std::unique_ptr<Impl> impl);
  DetectorOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Everything Kohl derives from one face: detection, landmarks, MT-14 regions and makeup
// regions, and the skin tone measured on the face-skin region.
struct FaceAnalysis {
  DetectedFace face;
  sdk::face::FaceRegions regions;            // empty without landmarks
  std::optional<sdk::color::SkinTone> skin;  // unset when the skin region is too small
  std::string skin_error;                    // why skin is unset
};

// Detects faces in a BGR image and analyses each (largest first).
sdk::Result<std::vector<FaceAnalysis>> analyze_faces(const cv::Mat& bgr, FaceDetector& detector);

// The pixels skin tone is measured on: MT-14 face skin (label 1: no brows, eyes, nose or
// mouth), eroded by a tenth of the nose length so the estimated outline's edge (hair,
// background, beard line) stays out. CV_8UC1, 0/255.
cv::Mat skin_measure_mask(const sdk::face::FaceRegions& regions, float nose_length);

// {"box": [x, y, w, h], "score", "detector", "landmarks": [[x, y] x68],
//  "skin": {"ita", "fitzpatrick", "monk", "undertone", "lab": [L, a, b], "hex"}}
sdk::Json analysis_json(const FaceAnalysis& a);

}  // namespace kohl::faces

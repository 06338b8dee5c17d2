// Detection, landmarks, alignment and skin tone on a real face: scikit-image's astronaut.png
// (Eileen Collins, NASA, public domain), read from Debian's python3-skimage, never committed.
// The hand-marked areas below were read off the image on a 20 px grid by a person.
#include <catch2/catch.hpp>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/faces/detector.hpp"
#include "kohl/faces/synth.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {

const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

cv::Mat astronaut() {
  cv::Mat img = cv::imread(kAstronaut, cv::IMREAD_COLOR);
  INFO(kAstronaut << " is installed by scripts/setup.sh (Debian python3-skimage)");
  REQUIRE_FALSE(img.empty());
  return img;
}

std::filesystem::path output_dir() {
  auto d = test::build_dir() / "test-output";
  std::filesystem::create_directories(d);
  return d;
}

bool inside(const cv::Rect2f& area, cv::Point2f p) { return area.contains(p); }

// Hand-marked areas in astronaut.png (pixels), generous by a few pixels.
const cv::Rect2f kLeftEye(188, 90, 30, 22);    // image-left eye (dlib 36-41)
const cv::Rect2f kRightEye(222, 88, 40, 22);   // image-right eye (dlib 42-47), outer corner near x 257
const cv::Rect2f kMouth(192, 126, 62, 36);     // lips, open smile (dlib 48-67)
const cv::Rect2f kFace(150, 40, 130, 150);     // the face, hair line to chin

}  // namespace

TEST_CASE("dlib HOG finds the astronaut's face and its landmarks lie in the hand-marked areas", "[detector]") {
  const cv::Mat img = astronaut();
  auto det = faces::FaceDetector::create({});
  REQUIRE(det);
  auto found = faces::analyze_faces(img, *det.value());
  REQUIRE(found);
  REQUIRE(found.value().size() == 1);
  const auto& f = found.value().front();
  CHECK(f.face.detector == faces::kDetectorDlibHog);
  CHECK((f.face.box & kFace).area() > 0.8 * f.face.box.area());
  REQUIRE(f.face.landmarks.size() == 68);
  for (int i = 36; i <= 41; ++i) CHECK(inside(kLeftEye, f.face.landmarks[i]));
  for (int i = 42; i <= 47; ++i) CHECK(inside(kRightEye, f.face.landmarks[i]));
  for (int i = 48; i <= 67; ++i) CHECK(inside(kMouth, f.face.landmarks[i]));

  // Regions follow: lips and eyes labelled inside their areas, skin measured.
  const cv::Mat& labels = f.regions.labels;
  REQUIRE(labels.size() == img.size());
  const cv::Mat lips = sdk::face::label_mask(labels, {sdk::face::kMtUpperLip, sdk::face::kMtLowerLip});
  CHECK(cv::countNonZero(lips) > 200);
  CHECK(cv::countNonZero(lips(kMouth)) == cv::countNonZero(lips));
  REQUIRE(f.skin);
  // A light skin: ITA well above 28 (Fitzpatrick I-III), a light Monk shade.
  CHECK(f.skin->ita > 28);
  CHECK(f.skin->fitzpatrick <= 3);
  CHECK(f.skin->monk <= 5);

  // A picture for people: boxes, landmarks and regions.
  cv::Mat out = img.clone();
  cv::rectangle(out, f.face.box, cv::Scalar(0, 255, 0), 1);
  for (auto r : {kLeftEye, kRightEye, kMouth}) cv::rectangle(out, r, cv::Scalar(255, 0, 0), 1);
  for (const auto& p : f.face.landmarks) cv::circle(out, p, 1, cv::Scalar(0, 255, 255), cv::FILLED);
  cv::imwrite((output_dir() / "detector_astronaut.png").string(), out(cv::Rect(120, 20, 200, 200)));
}

TEST_CASE("the OpenCV cascade finds the astronaut too, with landmarks close to HOG's", "[detector]") {
  const cv::Mat img = astronaut();
  faces::DetectorOptions haar;
  haar.detector = faces::kDetectorOpencvHaar;
  auto d1 = faces::FaceDetector::create({});
  auto d2 = faces::FaceDetector::create(haar);
  REQUIRE(d1);
  REQUIRE(d2);
  auto a = d1.value()->detect(img);
  auto b = d2.value()->detect(img);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(a.value().size() == 1);
  REQUIRE(b.value().size() >= 1);
  const auto& fb = b.value().front();
  CHECK(fb.detector == faces::kDetectorOpencvHaar);
  // The cascade's box, brought to dlib's convention, overlaps HOG's well.
  const cv::Rect2f& ra = a.value().front().box;
  const float iou = (ra & fb.box).area() / (ra | fb.box).area();
  CHECK(iou > 0.5f);
  // Eye landmarks from either box land in the same eyes.
  for (int i = 36; i <= 41; ++i) CHECK(inside(kLeftEye, fb.landmarks[i]));
  for (int i = 42; i <= 47; ++i) CHECK(inside(kRightEye, fb.landmarks[i]));
}

TEST_CASE("alignment levels the eyes and maps points back to the original", "[detector]") {
  cv::Mat img = astronaut();
  // Rotate the image by 12 degrees: the aligned crop must undo it.
  const cv::Mat rot = cv::getRotationMatrix2D(cv::Point2f(256, 256), 12, 1.0);
  cv::Mat tilted;
  cv::warpAffine(img, tilted, rot, img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  auto det = faces::FaceDetector::create({});
  REQUIRE(det);
  auto found = det.value()->detect(tilted);
  REQUIRE(found);
  REQUIRE(found.value().size() == 1);
  const auto& pts = found.value().front().landmarks;
  const auto al = faces::align_face(pts, {256, 256});
  CHECK(std::abs(std::abs(al.angle_degrees) - 12.0) < 4.0);
  // Eye centres level in the crop.
  cv::Point2f le(0, 0), re(0, 0);
  for (int i = 36; i <= 41; ++i) le += al.aligned(pts[i]) / 6.0f;
  for (int i = 42; i <= 47; ++i) re += al.aligned(pts[i]) / 6.0f;
  CHECK(std::abs(le.y - re.y) < 1.0f);
  CHECK(le.x < re.x);
  // Round trip to the original.
  for (const auto& p : pts) CHECK(cv::norm(al.original(al.aligned(p)) - p) < 1e-3);
  const cv::Mat crop = al.warp(tilted);
  CHECK(crop.size() == cv::Size(256, 256));
  cv::imwrite((output_dir() / "detector_aligned.png").string(), crop);
}

TEST_CASE("a missing landmark model is a clear error naming the file and the package", "[detector]") {
  faces::DetectorOptions o;
  o.model_path = "/nonexistent/shape_predictor.dat";
  auto d = faces::FaceDetector::create(o);
  REQUIRE_FALSE(d);
  CHECK_THAT(d.status().message(), Catch::Contains("/nonexistent/shape_predictor.dat"));
  CHECK_THAT(d.status().message(), Catch::Contains("libdlib-data"));
  // Boxes alone need no model.
  o.landmarks = false;
  REQUIRE(faces::FaceDetector::create(o));
}

TEST_CASE("an image without a face gives no faces, not an error", "[detector]") {
  cv::Mat flat(300, 300, CV_8UC3, cv::Scalar(180, 170, 160));
  auto det = faces::FaceDetector::create({});
  REQUIRE(det);
  auto found = det.value()->detect(flat);
  REQUIRE(found);
  CHECK(found.value().empty());
}

TEST_CASE("detection and landmarks work on synthetic faces: most found, landmarks near the exact points", "[detector]") {
  auto det = faces::FaceDetector::create({});
  REQUIRE(det);
  const int n = 40;
  int found = 0;
  double err_sum = 0;
  for (int i = 0; i < n; ++i) {
    const auto face = faces::synthesize_face(11, static_cast<std::uint64_t>(i), 128);
    auto r = det.value()->detect(face.image);
    REQUIRE(r);
    if (r.value().empty()) continue;
    ++found;
    // Error normalised by the outer-eye-corner distance (the 300-W convention).
    const auto& pts = r.value().front().landmarks;
    const double iod = cv::norm(face.landmarks[36] - face.landmarks[45]);
    double e = 0;
    for (int k = 0; k < 68; ++k) e += cv::norm(pts[k] - face.landmarks[k]);
    err_sum += e / 68.0 / iod;
  }
  const double rate = static_cast<double>(found) / n;
  const double mean_err = found ? err_sum / found : 1.0;
  WARN("synthetic faces found: " << found << "/" << n << ", mean landmark error " << mean_err
                                 << " of the outer-eye-corner distance");
  CHECK(rate >= 0.85);
  CHECK(mean_err < 0.10);
}

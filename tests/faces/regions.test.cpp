// Face regions from landmarks (sdk/include/kohl/sdk/face_regions.hpp) on the canonical face.
#include <catch2/catch.hpp>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/sdk/face_regions.hpp"
#include "kohl/sdk/layouts.hpp"
#include "test_support.hpp"

using namespace kohl::sdk;
using namespace kohl::sdk::face;

namespace {
std::vector<cv::Point2f> face_in(cv::Size size, double angle = 0) {
  auto p = canonical_landmarks68();
  for (auto& q : p) q = {q.x * size.width * 0.8f + size.width * 0.1f, q.y * size.height * 0.75f + size.height * 0.15f};
  if (angle != 0) cv::transform(p, p, cv::getRotationMatrix2D(cv::Point2f(size.width / 2.f, size.height / 2.f), angle, 1));
  return p;
}
int count(const cv::Mat& labels, int v) { return cv::countNonZero(labels == v); }
}  // namespace

TEST_CASE("every landmark-derived MT-14 region is present and in its place", "[regions]") {
  const cv::Size size(256, 256);
  const auto p = face_in(size);
  const auto r = face_regions(size, p);
  REQUIRE(r.labels.type() == CV_8UC1);
  for (int v : {kMtSkin, kMtLeftBrow, kMtRightBrow, kMtLeftEye, kMtRightEye, kMtNose, kMtUpperLip, kMtTeeth, kMtLowerLip})
    CHECK(count(r.labels, v) > 20);
  // Not estimated from landmarks.
  for (int v : {kMtHair, kMtLeftEar, kMtRightEar, kMtNeck}) CHECK(count(r.labels, v) == 0);
  // Landmarks sit on their regions: eye centres in eyes, the lip midpoints in lips.
  auto at = [&](cv::Point2f q) { return r.labels.at<std::uint8_t>(cvRound(q.y), cvRound(q.x)); };
  cv::Point2f le(0, 0), re(0, 0);
  for (int i = 36; i <= 41; ++i) le += p[i] / 6.0f;
  for (int i = 42; i <= 47; ++i) re += p[i] / 6.0f;
  CHECK(at(le) == kMtLeftEye);
  CHECK(at(re) == kMtRightEye);
  CHECK(at((p[51] + p[62]) * 0.5f) == kMtUpperLip);
  CHECK(at((p[57] + p[66]) * 0.5f) == kMtLowerLip);
  CHECK(at(p[19]) == kMtLeftBrow);
  CHECK(at(p[24]) == kMtRightBrow);
  CHECK(at(p[30]) == kMtNose);
  // The forehead is skin: above the brows, inside the hull.
  const cv::Point2f forehead = (p[19] + p[24]) * 0.5f + face_up(p) * (0.4f * nose_length(p));
  CHECK(at(forehead) == kMtSkin);
  // Lips are outer minus inner: the inner mouth is not lip.
  CHECK(at((p[62] + p[66]) * 0.5f) == kMtTeeth);
}

TEST_CASE("makeup-only regions stay off the eyes, brows and lips", "[regions]") {
  const cv::Size size(256, 256);
  const auto r = face_regions(size, face_in(size));
  CHECK(cv::countNonZero(r.eyeshadow) > 100);
  CHECK(cv::countNonZero(r.cheeks) > 100);
  const cv::Mat eyes_brows = label_mask(r.labels, {kMtLeftEye, kMtRightEye, kMtLeftBrow, kMtRightBrow});
  CHECK(cv::countNonZero(r.eyeshadow & eyes_brows) == 0);
  CHECK(cv::countNonZero(r.cheeks & (r.labels != kMtSkin)) == 0);
  // Eyeshadow lies above the eyes (smaller y than the eye centres) on both sides.
  const auto p = face_in(size);
  cv::Moments m = cv::moments(r.eyeshadow, true);
  CHECK(m.m01 / m.m00 < (p[37].y + p[44].y) * 0.5f);
}

TEST_CASE("regions mirror with the landmarks: flipped face, flipped and swapped labels", "[regions]") {
  const cv::Size size(200, 220);
  const auto p = face_in(size, 7.0);
  // Mirror the points and renumber them the way a flip does.
  std::vector<cv::Point2f> q(68);
  for (int i = 0; i < 68; ++i) q[kDlib68Mirror[i]] = {size.width - 1 - p[i].x, p[i].y};
  const auto a = face_regions(size, p);
  const auto b = face_regions(size, q);
  cv::Mat flipped;
  cv::flip(a.labels, flipped, 1);
  const auto mirror = label_map(kLabelMapMt14).mirror;
  cv::Mat lut(1, 256, CV_8U, cv::Scalar(0));
  for (std::size_t v = 0; v < mirror.size(); ++v) lut.at<std::uint8_t>(0, static_cast<int>(v)) = static_cast<std::uint8_t>(mirror[v]);
  cv::LUT(flipped, lut, flipped);
  // Same regions up to rasterisation at the edges (< 2% of the face's pixels).
  const int differ = cv::countNonZero(flipped != b.labels);
  CHECK(differ < 0.02 * cv::countNonZero(a.labels));
}

TEST_CASE("a landmark count that is not 68 gives empty regions, not a crash", "[regions]") {
  const auto r = face_regions({64, 64}, std::vector<cv::Point2f>(5, cv::Point2f(10, 10)));
  CHECK(cv::countNonZero(r.labels) == 0);
}

TEST_CASE("regions picture for people to look at", "[regions]") {
  const cv::Size size(256, 256);
  const auto p = face_in(size, 8.0);
  const auto r = face_regions(size, p);
  const cv::Vec3b colours[10] = {{0, 0, 0},     {150, 180, 220}, {40, 60, 90},   {40, 90, 60},    {255, 0, 0},
                                 {0, 255, 0},   {0, 200, 255},   {0, 0, 255},    {255, 255, 255}, {128, 0, 200}};
  cv::Mat img(size, CV_8UC3, cv::Scalar(0, 0, 0));
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x) {
      const int l = r.labels.at<std::uint8_t>(y, x);
      if (l < 10) img.at<cv::Vec3b>(y, x) = colours[l];
    }
  img.setTo(cv::Scalar(200, 100, 200), r.eyeshadow);
  img.setTo(cv::Scalar(120, 120, 255), r.cheeks);
  for (const auto& q : p) cv::circle(img, q, 1, cv::Scalar(0, 255, 255), cv::FILLED);
  const auto dir = kohl::test::build_dir() / "test-output";
  std::filesystem::create_directories(dir);
  REQUIRE(cv::imwrite((dir / "regions_canonical.png").string(), img));
}

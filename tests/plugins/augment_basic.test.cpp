// augment-basic through the real host: pixels, landmark positions and indices, masks,
// boxes, and brightness/contrast arithmetic.
#include <catch2/catch.hpp>

#include <opencv2/core.hpp>

#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/layouts.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {
const core::PluginHost& host() { return test::plugin_host_with("augment_basic.so"); }

std::shared_ptr<sdk::IAugmenter> make(const std::string& id, const sdk::Json& params) {
  auto r = host().create<sdk::IAugmenter>(id, params);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return r.value();
}

// A 10x6 image whose every pixel differs: (b, g, r) = (x, y, 10y + x).
cv::Mat gradient_image(int w = 10, int h = 6) {
  cv::Mat img(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) img.at<cv::Vec3b>(y, x) = cv::Vec3b(x, y, 10 * y + x);
  return img;
}

sdk::Sample annotated_sample() {
  sdk::Sample s;
  s.id = "face-1";
  s.image = gradient_image();
  sdk::Landmarks lm;
  lm.layout = sdk::kLayoutDlib68;
  for (int i = 0; i < 68; ++i) lm.points.emplace_back(0.1f * i + 0.5f, static_cast<float>(i) / 12.0f);
  s.landmarks.push_back(lm);
  sdk::RegionMask m;
  m.label_map = sdk::kLabelMapMt14;
  m.labels = cv::Mat(6, 10, CV_8UC1, cv::Scalar(1));        // face skin
  m.labels(cv::Rect(0, 0, 3, 6)).setTo(4);                  // left eye on the image's left
  m.labels(cv::Rect(3, 0, 1, 6)).setTo(7);                  // upper lip: no side
  s.mask = m;
  s.boxes.push_back({cv::Rect2f(1, 2, 3, 2), "face", 0.9f});
  return s;
}
}  // namespace

TEST_CASE("flip mirrors pixels", "[augment_basic]") {
  auto flip = make("org.kohl.augment.flip", {{"p", 1.0}});
  auto s = annotated_sample();
  const cv::Mat before = s.image.clone();
  std::mt19937_64 rng(7);
  REQUIRE(flip->apply(s, rng).is_ok());
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 10; ++x) REQUIRE(s.image.at<cv::Vec3b>(y, x) == before.at<cv::Vec3b>(y, 9 - x));
  CHECK(s.extra["flipped"] == true);
}

TEST_CASE("flip moves landmarks and swaps left/right indices", "[augment_basic]") {
  auto flip = make("org.kohl.augment.flip", {{"p", 1.0}});
  auto s = annotated_sample();
  const auto before = s.landmarks[0].points;
  std::mt19937_64 rng(7);
  REQUIRE(flip->apply(s, rng).is_ok());
  const auto& after = s.landmarks[0].points;
  REQUIRE(after.size() == 68);
  for (int i = 0; i < 68; ++i) {
    const int j = sdk::kDlib68Mirror[static_cast<std::size_t>(i)];
    CHECK(after[j].x == Approx(9.0f - before[i].x));
    CHECK(after[j].y == Approx(before[i].y));
  }
  // Named points: the outer corner of one eye (36) becomes the outer corner of the other (45);
  // the jaw's first point (0) becomes its last (16); the nose tip (30) and chin (8) stay.
  CHECK(after[45].x == Approx(9.0f - before[36].x));
  CHECK(after[16].x == Approx(9.0f - before[0].x));
  CHECK(after[30].x == Approx(9.0f - before[30].x));
  CHECK(after[8].y == Approx(before[8].y));
  CHECK(after[54].x == Approx(9.0f - before[48].x));  // mouth corners swap
}

TEST_CASE("flip mirrors masks with their left/right labels, and boxes", "[augment_basic]") {
  auto flip = make("org.kohl.augment.flip", {{"p", 1.0}});
  auto s = annotated_sample();
  std::mt19937_64 rng(7);
  REQUIRE(flip->apply(s, rng).is_ok());
  const cv::Mat& m = s.mask->labels;
  for (int y = 0; y < 6; ++y) {
    CHECK(m.at<std::uint8_t>(y, 9) == 5);  // was left eye (4) at x=0 -> right eye (5) at x=9
    CHECK(m.at<std::uint8_t>(y, 7) == 5);
    CHECK(m.at<std::uint8_t>(y, 6) == 7);  // upper lip keeps its label
    CHECK(m.at<std::uint8_t>(y, 0) == 1);
  }
  CHECK(s.boxes[0].rect.x == Approx(10.0f - 1.0f - 3.0f));
  CHECK(s.boxes[0].rect.width == Approx(3.0f));
  CHECK(s.boxes[0].rect.y == Approx(2.0f));

  // Flipping twice gives the sample back.
  REQUIRE(flip->apply(s, rng).is_ok());
  auto original = annotated_sample();
  CHECK(cv::norm(s.image, original.image, cv::NORM_INF) == 0);
  CHECK(cv::norm(s.mask->labels, original.mask->labels, cv::NORM_INF) == 0);
  for (int i = 0; i < 68; ++i) CHECK(s.landmarks[0].points[i].x == Approx(original.landmarks[0].points[i].x));
}

TEST_CASE("flip with p = 0 changes nothing; unknown layouts are refused", "[augment_basic]") {
  auto never = make("org.kohl.augment.flip", {{"p", 0.0}});
  auto s = annotated_sample();
  std::mt19937_64 rng(3);
  REQUIRE(never->apply(s, rng).is_ok());
  CHECK(cv::norm(s.image, annotated_sample().image, cv::NORM_INF) == 0);

  auto always = make("org.kohl.augment.flip", {{"p", 1.0}});
  auto odd = annotated_sample();
  odd.landmarks[0].layout = "my-5-point";
  auto st = always->apply(odd, rng);
  CHECK(st.message() == "sample face-1: landmark layout 'my-5-point' has no left/right table; cannot flip it");
  CHECK(cv::norm(odd.image, annotated_sample().image, cv::NORM_INF) == 0);  // refused before any change
}

TEST_CASE("brightness and contrast follow their formula", "[augment_basic]") {
  auto bc = make("org.kohl.augment.brightness_contrast", {{"brightness", {0.2, 0.2}}, {"contrast", {2.0, 2.0}}});
  sdk::Sample s;
  s.image = cv::Mat(1, 3, CV_8UC3);
  s.image.at<cv::Vec3b>(0, 0) = cv::Vec3b(100, 128, 10);
  s.image.at<cv::Vec3b>(0, 1) = cv::Vec3b(200, 0, 255);
  s.image.at<cv::Vec3b>(0, 2) = cv::Vec3b(120, 121, 122);
  std::mt19937_64 rng(1);
  REQUIRE(bc->apply(s, rng).is_ok());
  // (in - 128) * 2 + 128 + 51, saturated to [0, 255]
  CHECK(s.image.at<cv::Vec3b>(0, 0) == cv::Vec3b(123, 179, 0));
  CHECK(s.image.at<cv::Vec3b>(0, 1) == cv::Vec3b(255, 0, 255));
  CHECK(s.image.at<cv::Vec3b>(0, 2) == cv::Vec3b(163, 165, 167));
}

TEST_CASE("random augmentation is reproducible from the seed", "[augment_basic]") {
  auto bc = make("org.kohl.augment.brightness_contrast", sdk::Json::object());
  auto run = [&](std::uint64_t seed) {
    sdk::Sample s;
    s.image = gradient_image();
    std::mt19937_64 rng(seed);
    REQUIRE(bc->apply(s, rng).is_ok());
    return s.image;
  };
  CHECK(cv::norm(run(42), run(42), cv::NORM_INF) == 0);
  CHECK(cv::norm(run(42), run(43), cv::NORM_INF) > 0);
}

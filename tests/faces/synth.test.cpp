// Synthetic faces (kohl::faces::synthesize_face, write_synthetic_dataset): determinism,
// landmark order, masks against landmarks and pixels, label consistency and spread, the
// skin tone measured on the picture against the drawn one, thread independence, the Kohl
// dataset written and read back, bare/made-up pairs with their palettes. Picture for
// people: build/test-output/synth_grid.png (faces, their masks, pairs).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/core/codecs.hpp"
#include "kohl/core/formats.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/faces/detector.hpp"
#include "kohl/faces/makeup_client.hpp"
#include "kohl/faces/synth.hpp"
#include "kohl/sdk/color.hpp"
#include "kohl/sdk/face_regions.hpp"
#include "kohl/sdk/skin_tone.hpp"
#include "test_support.hpp"

using namespace kohl;
namespace face = sdk::face;
namespace color = sdk::color;
using sdk::Json;

namespace {

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

cv::Point2f mean_of(const std::vector<cv::Point2f>& p, int from, int to) {
  cv::Point2f c(0, 0);
  for (int i = from; i <= to; ++i) c += p[static_cast<std::size_t>(i)];
  return c / static_cast<float>(to - from + 1);
}

// Coordinates along the face's own axes (roll is up to 8 degrees): x right, y down.
cv::Point2f face_coords(const std::vector<cv::Point2f>& p, cv::Point2f q) {
  const cv::Point2f up = face::face_up(p), right(-up.y, up.x);
  return {q.dot(right), -q.dot(up)};
}

color::Lab mean_lab(const cv::Mat& bgr, const cv::Mat& mask) {
  const cv::Scalar m = cv::mean(color::bgr8_to_lab(bgr), mask);
  return {m[0], m[1], m[2]};
}

core::PluginHost& plugin_host() { return test::plugin_host_with("makeup.so"); }

cv::Mat colour_labels(const cv::Mat& labels) {
  static const cv::Vec3b kColours[14] = {{0, 0, 0},     {150, 180, 210}, {40, 60, 90},  {60, 90, 120}, {255, 255, 255},
                                         {210, 210, 210}, {0, 200, 255},  {60, 20, 230}, {200, 200, 0}, {40, 0, 150},
                                         {150, 40, 150}, {0, 220, 0},     {0, 140, 0},   {230, 80, 30}};
  cv::Mat out(labels.size(), CV_8UC3);
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x) out.at<cv::Vec3b>(y, x) = kColours[std::min<int>(13, labels.at<std::uint8_t>(y, x))];
  return out;
}

}  // namespace

TEST_CASE("synth: a face is a function of (seed, index, size)", "[synth]") {
  const auto a = faces::synthesize_face(42, 7, 128), b = faces::synthesize_face(42, 7, 128);
  CHECK(same(a.image, b.image));
  CHECK(same(a.labels, b.labels));
  CHECK(a.landmarks == b.landmarks);
  CHECK(a.params == b.params);
  CHECK(a.monk == b.monk);
  // Encoded bytes too (what the dataset stores).
  std::vector<std::uint8_t> pa, pb;
  REQUIRE(core::codecs::encode(".png", a.image, pa));
  REQUIRE(core::codecs::encode(".png", b.image, pb));
  CHECK(pa == pb);

  REQUIRE(a.image.type() == CV_8UC3);
  CHECK(a.image.size() == cv::Size(128, 128));
  REQUIRE(a.labels.type() == CV_8UC1);
  CHECK(a.labels.size() == cv::Size(128, 128));
  CHECK(a.landmarks.size() == 68);

  SECTION("other seeds and indexes give other faces") {
    const auto c = faces::synthesize_face(43, 7, 128), d = faces::synthesize_face(42, 8, 128);
    CHECK(cv::norm(a.image, c.image, cv::NORM_L1) / (128.0 * 128 * 3) > 5.0);  // mean |difference| per channel
    CHECK(cv::norm(a.image, d.image, cv::NORM_L1) / (128.0 * 128 * 3) > 5.0);
    CHECK(a.landmarks != c.landmarks);
  }
  SECTION("other sizes") {
    for (int size : {64, 200, 384}) {
      const auto f = faces::synthesize_face(42, 7, size);
      CHECK(f.image.size() == cv::Size(size, size));
      CHECK(f.labels.size() == cv::Size(size, size));
      CHECK(f.monk == a.monk);  // the draws do not depend on the size
      // Landmarks scale with the image.
      CHECK(std::abs(f.landmarks[30].x / size - a.landmarks[30].x / 128.0f) < 0.01f);
    }
  }
}

TEST_CASE("synth: landmarks lie in the image in dlib-68 order", "[synth]") {
  for (std::uint64_t i = 0; i < 60; ++i) {
    const auto f = faces::synthesize_face(3, i, 128);
    const auto& p = f.landmarks;
    INFO("face " << i);
    for (const auto& q : p) {
      CHECK(q.x >= 0);
      CHECK(q.y >= 0);
      CHECK(q.x <= 127);
      CHECK(q.y <= 127);
    }
    auto fc = [&](cv::Point2f q) { return face_coords(p, q); };
    const cv::Point2f le = fc(mean_of(p, 36, 41)), re = fc(mean_of(p, 42, 47)), lb = fc(mean_of(p, 17, 21)),
                      rb = fc(mean_of(p, 22, 26)), nose_tip = fc(p[33]), mouth = fc(mean_of(p, 48, 59)),
                      chin = fc(p[8]);
    CHECK(le.x < re.x);                              // 36-41 is the image-left eye
    CHECK(lb.x < rb.x);
    CHECK(fc(p[0]).x < fc(p[16]).x);                 // jaw runs left to right
    CHECK(lb.y < le.y);                              // brows above eyes
    CHECK(rb.y < re.y);
    CHECK(std::max(le.y, re.y) < nose_tip.y);        // eyes above the nose tip
    CHECK(nose_tip.y < mouth.y);                     // mouth below the nose
    CHECK(mouth.y < chin.y);
    CHECK(fc(p[51]).y < fc(p[57]).y);                // upper lip above the lower
    CHECK(fc(p[62]).y <= fc(p[66]).y + 0.01f);        // inner lip: top above bottom
    CHECK(fc(p[48]).x < fc(p[54]).x);
    CHECK(fc(p[36]).x < fc(p[39]).x);                // eye corners: outer, inner
    CHECK(fc(p[42]).x < fc(p[45]).x);
    for (int k = 0; k < 16; ++k) CHECK(fc(p[static_cast<std::size_t>(k)]).x < fc(p[static_cast<std::size_t>(k + 1)]).x);
  }
}

TEST_CASE("synth: masks follow the landmarks and the pixels", "[synth]") {
  int with_hair = 0, with_neck = 0;
  for (std::uint64_t i = 0; i < 40; ++i) {
    const auto f = faces::synthesize_face(11, i, 128);
    INFO("face " << i);
    const auto regions = face::face_regions(f.labels.size(), f.landmarks);
    // Every face region is face_regions' own, except where hair is drawn over the forehead.
    cv::Mat face_px = regions.labels != 0;
    cv::Mat differs = (regions.labels != f.labels) & face_px;
    cv::Mat hair_over = differs & (f.labels == face::kMtHair) & (regions.labels == face::kMtSkin);
    CHECK(cv::countNonZero(differs) == cv::countNonZero(hair_over));
    // Values are MT-14.
    double lo, hi;
    cv::minMaxLoc(f.labels, &lo, &hi);
    CHECK(hi <= 13);
    // Lip pixels sit around the lip points and nowhere else.
    cv::Mat lips = (f.labels == face::kMtUpperLip) | (f.labels == face::kMtLowerLip);
    REQUIRE(cv::countNonZero(lips) > 10);
    std::vector<cv::Point2f> outer(f.landmarks.begin() + 48, f.landmarks.begin() + 60);
    cv::Rect box = cv::boundingRect(outer);
    box = cv::Rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2);  // sub-pixel polygon edges
    CHECK(cv::countNonZero(lips(box & cv::Rect(0, 0, 128, 128))) == cv::countNonZero(lips));
    // The pixels agree: lips redder than skin, brows darker than skin, hair above the brows.
    cv::Mat skin = f.labels == face::kMtSkin;
    const color::Lab lip = mean_lab(f.image, lips), sk = mean_lab(f.image, skin);
    const color::Lab brow = mean_lab(f.image, (f.labels == face::kMtLeftBrow) | (f.labels == face::kMtRightBrow));
    CHECK(lip.a > sk.a + 3);
    CHECK(brow.L < sk.L - 2);
    // Hair covers the head above the estimated forehead.
    const auto fh = face::forehead_points(f.landmarks);
    const cv::Point2f above = (fh[4] + fh[5]) * 0.5f + face::face_up(f.landmarks) * (0.1f * face::nose_length(f.landmarks));
    if (f.labels.at<std::uint8_t>(cvRound(above.y), cvRound(above.x)) == face::kMtHair) ++with_hair;
    if (cv::countNonZero(f.labels == face::kMtNeck) > 20) ++with_neck;
  }
  CHECK(with_hair == 40);
  CHECK(with_neck >= 36);
}

TEST_CASE("synth: labels are consistent and spread across the scales", "[synth]") {
  std::set<int> monks;
  std::set<std::string> fitz, tones;
  std::map<std::string, int> tone_count;
  int measured_same = 0;
  double max_de = 0;
  const int n = 60;
  for (int i = 0; i < n; ++i) {
    const auto f = faces::synthesize_face(5, static_cast<std::uint64_t>(i), 128);
    INFO("face " << i << ": " << f.params.dump());
    REQUIRE(f.monk >= 1);
    REQUIRE(f.monk <= 10);
    monks.insert(f.monk);
    fitz.insert(f.fitzpatrick);
    tones.insert(f.undertone);
    ++tone_count[f.undertone];
    const auto& l = f.params["skin"]["lab"];
    const color::Lab drawn{l[0].get<double>(), l[1].get<double>(), l[2].get<double>()};
    // The labels describe the drawn colour exactly.
    CHECK(color::nearest_monk(drawn) == f.monk);
    CHECK(f.fitzpatrick == color::fitzpatrick_roman(color::fitzpatrick_from_ita(color::ita_degrees(drawn))));
    CHECK(f.undertone == color::undertone(drawn));
    // And the picture: skin tone measured as the auto-annotator does is near the drawn one.
    const auto regions = face::face_regions(f.labels.size(), f.landmarks);
    cv::Mat mask = faces::skin_measure_mask(regions, face::nose_length(f.landmarks)) & (f.labels == face::kMtSkin);
    auto tone = color::measure_skin_tone(f.image, mask);
    REQUIRE(tone.is_ok());
    // (Measured: CIEDE2000 at most 3.2, the Monk class the same for 54 of 60; shades 1-4 lie
    // within 2-4 units of each other, so a class can change with a sub-unit difference.)
    const double de = color::ciede2000(tone.value().lab, drawn);
    max_de = std::max(max_de, de);
    CHECK(de < 5.0);
    if (tone.value().monk == f.monk) ++measured_same;
  }
  WARN("skin measured on the pictures vs drawn: max CIEDE2000 " << max_de << ", same Monk class " << measured_same << "/" << n);
  CHECK(monks.size() >= 9);
  CHECK(fitz.size() >= 5);
  CHECK(tones == std::set<std::string>{"cool", "neutral", "warm"});
  for (const auto& [t, c] : tone_count) CHECK(c >= n / 8);
  CHECK(measured_same >= n * 8 / 10);
}

TEST_CASE("synth: the dataset is Kohl's format, the same whatever the thread count", "[synth]") {
  test::ScratchDir dir("synth");
  faces::SynthOptions o;
  o.count = 12;
  o.seed = 9;
  o.size = 96;
  sdk::NullProgress progress;
  o.threads = 1;
  auto r1 = faces::write_synthetic_dataset((dir / "t1").string(), o, progress);
  REQUIRE(r1.is_ok());
  o.threads = 3;
  auto r3 = faces::write_synthetic_dataset((dir / "t3").string(), o, progress);
  REQUIRE(r3.is_ok());
  CHECK(r1.value()["images"] == 12);
  CHECK(r1.value()["faces"] == 12);
  CHECK(r1.value()["pairs"] == 0);
  for (const char* f : {"annotations.jsonl", "kohl-dataset.json", "params.jsonl"})
    CHECK(test::read_file(dir / "t1" / f) == test::read_file(dir / "t3" / f));
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "t1")) {
    if (!e.is_regular_file()) continue;
    const auto rel = std::filesystem::relative(e.path(), dir / "t1");
    CHECK(test::read_file(e.path()) == test::read_file(dir / "t3" / rel));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "t1" / "palettes.json"));

  SECTION("read back as the kohl format") {
    auto b = core::read_dataset("kohl", (dir / "t1").string(), {});
    REQUIRE(b.is_ok());
    const auto& batch = b.value();
    CHECK(batch.errors.empty());
    CHECK(batch.source.name == faces::kSynthSourceName);
    CHECK(batch.source.synthetic);
    CHECK(batch.source.license == faces::kSynthLicense);
    CHECK(batch.source.consent == faces::kSynthConsent);
    CHECK(batch.label_sets.at("monk").size() == 10);
    CHECK(batch.label_sets.at("fitzpatrick").size() == 6);
    CHECK(batch.label_sets.at("undertone") == std::vector<std::string>{"cool", "neutral", "warm"});
    REQUIRE(batch.entries.size() == 12);
    for (std::size_t i = 0; i < 12; ++i) {
      const auto& e = batch.entries[i];
      const auto f = faces::synthesize_face(9, i, 96);
      INFO(e.rel_path);
      CHECK(e.subject == faces::synth_subject(9, i));
      CHECK(e.annotator == faces::synth_annotator());
      CHECK(e.review == core::kReviewAccepted);
      CHECK(e.labels.at("monk") == std::to_string(f.monk));
      CHECK(e.labels.at("fitzpatrick") == f.fitzpatrick);
      CHECK(e.labels.at("undertone") == f.undertone);
      REQUIRE(e.landmarks.size() == 1);
      CHECK(e.landmarks[0].layout == "dlib-68");
      REQUIRE(e.landmarks[0].points.size() == 68);
      for (int k = 0; k < 68; ++k)
        CHECK(cv::norm(e.landmarks[0].points[static_cast<std::size_t>(k)] - f.landmarks[static_cast<std::size_t>(k)]) < 1e-3);
      CHECK(e.mask_label_map == "mt-14");
      auto mask = core::codecs::read(e.mask_file, cv::IMREAD_UNCHANGED);
      REQUIRE(mask.is_ok());
      CHECK(same(mask.value(), f.labels));
      auto img = core::codecs::read(e.path);
      REQUIRE(img.is_ok());
      CHECK(same(img.value(), f.image));
      REQUIRE(e.boxes.size() == 1);
      CHECK(e.boxes[0].label == "face");
      CHECK(e.pair_group.empty());
    }
  }
  SECTION("a set written in parts holds the same faces") {
    o.first = 8;
    o.count = 4;
    auto part = faces::write_synthetic_dataset((dir / "part").string(), o, progress);
    REQUIRE(part.is_ok());
    CHECK(part.value()["first"] == 8);
    for (int i = 8; i < 12; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "images/synth/%06d.png", i);
      INFO(name);
      CHECK(test::read_file(dir / "part" / name) == test::read_file(dir / "t1" / name));
    }
    auto b = core::read_dataset("kohl", (dir / "part").string(), {});
    REQUIRE(b.is_ok());
    REQUIRE(b.value().entries.size() == 4);
    CHECK(b.value().entries[0].subject == faces::synth_subject(9, 8));
  }
  SECTION("refuses a folder with files in it") {
    o.threads = 2;
    auto again = faces::write_synthetic_dataset((dir / "t1").string(), o, progress);
    REQUIRE_FALSE(again.is_ok());
    CHECK_THAT(again.status().message(), Catch::Contains("not an empty folder"));
  }
  SECTION("pairs need a renderer") {
    o.pairs = true;
    auto r = faces::write_synthetic_dataset((dir / "p").string(), o, progress, nullptr);
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Catch::Contains("org.kohl.augment.makeup"));
  }
}

TEST_CASE("synth: bare and made-up pairs with their palette", "[synth]") {
  auto renderer = faces::MakeupRenderer::create(plugin_host());
  INFO(renderer.status().message());
  REQUIRE(renderer.is_ok());
  test::ScratchDir dir("synth-pairs");
  faces::SynthOptions o;
  o.count = 8;
  o.seed = 21;
  o.pairs = true;
  sdk::NullProgress progress;
  auto r = faces::write_synthetic_dataset((dir / "d").string(), o, progress, &renderer.value());
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  CHECK(r.value()["images"] == 16);
  CHECK(r.value()["pairs"] == 8);
  auto b = core::read_dataset("kohl", (dir / "d").string(), {});
  REQUIRE(b.is_ok());
  const auto& entries = b.value().entries;
  REQUIRE(entries.size() == 16);
  std::ifstream pf(dir / "d" / "palettes.json");
  const Json palettes = Json::parse(pf);
  REQUIRE(palettes["palettes"].size() == 8);

  cv::Mat sheet(128 * 2, 128 * 8, CV_8UC3, cv::Scalar::all(0));
  for (std::size_t i = 0; i < 8; ++i) {
    const auto& bare = entries[2 * i];
    const auto& made = entries[2 * i + 1];
    INFO(made.rel_path);
    CHECK(bare.pair_group == made.pair_group);
    CHECK(bare.pair_group == faces::synth_subject(21, i));
    CHECK(bare.pair_role == "bare");
    CHECK(made.pair_role == "makeup");
    CHECK(bare.labels == made.labels);
    // The palette: flattened in the made-up entry, whole in palettes.json.
    const Json& pal = palettes["palettes"][i]["palette"];
    CHECK(palettes["palettes"][i]["pair_group"] == made.pair_group);
    CHECK(pal.is_object());
    CHECK_FALSE(pal.empty());
    for (const auto& [k, v] : faces::flatten_palette(pal)) {
      REQUIRE(made.attributes.count(k) == 1);
      if (v.is_number()) CHECK(std::get<double>(made.attributes.at(k)) == Approx(v.get<double>()));
      else CHECK(std::get<std::string>(made.attributes.at(k)) == v.get<std::string>());
    }
    for (const auto& [k, v] : bare.attributes) CHECK(k.rfind("palette_", 0) != 0);

    auto bi = core::codecs::read(bare.path), mi = core::codecs::read(made.path);
    REQUIRE(bi.is_ok());
    REQUIRE(mi.is_ok());
    const auto f = faces::synthesize_face(21, i, 128);
    CHECK(same(bi.value(), f.image));
    // Changed only on the face (makeup regions, feathered): never far outside it.
    cv::Mat diff;
    cv::absdiff(bi.value(), mi.value(), diff);
    cv::Mat changed;
    cv::cvtColor(diff, changed, cv::COLOR_BGR2GRAY);
    changed = changed > 0;
    const auto regions = face::face_regions(f.labels.size(), f.landmarks);
    cv::Mat makeup_zone = (regions.labels != 0) | regions.eyeshadow | regions.cheeks;
    const int feather = std::max(2, static_cast<int>(std::lround(0.25 * face::nose_length(f.landmarks))));
    cv::dilate(makeup_zone, makeup_zone, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(2 * feather + 1, 2 * feather + 1)));
    CHECK(cv::countNonZero(changed & ~makeup_zone) == 0);
    CHECK(cv::countNonZero(changed) > 20);
    // The recorded palette is the ground truth: rendering it again gives the made-up image.
    auto again = renderer.value().render(bi.value(), f.landmarks, pal);
    REQUIRE(again.is_ok());
    CHECK(cv::norm(again.value(), mi.value(), cv::NORM_INF) <= 2);
    bi.value().copyTo(sheet(cv::Rect(static_cast<int>(i) * 128, 0, 128, 128)));
    mi.value().copyTo(sheet(cv::Rect(static_cast<int>(i) * 128, 128, 128, 128)));
  }
  std::filesystem::create_directories(test::build_dir() / "test-output");
  cv::imwrite((test::build_dir() / "test-output" / "synth_pairs.png").string(), sheet);
}

TEST_CASE("synth: contact sheet for people", "[synth]") {
  // 24 faces (seed 1) and their masks with the landmarks: build/test-output/synth_grid.png.
  const int n = 24, cols = 8, size = 128;
  cv::Mat sheet(2 * (n / cols) * size, cols * size, CV_8UC3, cv::Scalar::all(0));
  for (int i = 0; i < n; ++i) {
    const auto f = faces::synthesize_face(1, static_cast<std::uint64_t>(i), size);
    const int r = i / cols, c = i % cols;
    f.image.copyTo(sheet(cv::Rect(c * size, r * size, size, size)));
    cv::Mat over;
    cv::addWeighted(f.image, 0.45, colour_labels(f.labels), 0.55, 0, over);
    for (const auto& p : f.landmarks) cv::circle(over, p, 1, cv::Scalar(0, 255, 0), cv::FILLED);
    cv::putText(over, std::to_string(f.monk) + " " + f.fitzpatrick + " " + f.undertone, {2, 10},
                cv::FONT_HERSHEY_PLAIN, 0.7, cv::Scalar(0, 255, 255));
    over.copyTo(sheet(cv::Rect(c * size, (n / cols + r) * size, size, size)));
  }
  std::filesystem::create_directories(test::build_dir() / "test-output");
  const auto path = test::build_dir() / "test-output" / "synth_grid.png";
  REQUIRE(cv::imwrite(path.string(), sheet));
  CHECK(std::filesystem::file_size(path) > 10000);
}

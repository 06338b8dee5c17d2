// kohl_bench_faces: face analysis and makeup rendering throughput against references
// measured in the same run (bench/faces/CMakeLists.txt says what each is).
//
//   kohl_bench_faces [--images N] [--repeat R] [--threads T]
//
// Images: scikit-image's astronaut.png (a real face) turned into N distinct 512 px
// variants (rotation -8..8 degrees, mirror, scale), the same list for both sides.
// Last line: RESULT faces ratio=<kohl time / bare dlib time> ...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/core/plugin_host.hpp"
#include "kohl/faces/detector.hpp"
#include "kohl/faces/makeup_client.hpp"
#include "kohl/sdk/color.hpp"
#include "kohl/sdk/face_regions.hpp"

using namespace kohl;
using Clock = std::chrono::steady_clock;

namespace {

const char* kAstronaut = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
const char* kModel = "/usr/share/dlib/shape_predictor_68_face_landmarks.dat";

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<cv::Mat> make_images(const cv::Mat& base, int n) {
  std::vector<cv::Mat> out;
  for (int i = 0; i < n; ++i) {
    const double angle = -8.0 + 16.0 * (i % 9) / 8.0;
    const double scale = 0.9 + 0.1 * ((i / 9) % 3);
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(256, 200), angle, scale), img;
    cv::warpAffine(base, img, m, cv::Size(512, 512), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    if ((i / 27) % 2) cv::flip(img, img, 1);
    out.push_back(img);
  }
  return out;
}

// Runs fn(thread, index) over n items on `threads` threads; returns seconds.
template <typename Fn>
double run_parallel(int threads, std::size_t n, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::size_t i = next++; i < n; i = next++) fn(t, i);
    });
  for (auto& th : pool) th.join();
  return seconds_since(t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int n_images = 54, repeat = 3, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--images")) n_images = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--threads")) threads = std::max(1, std::atoi(argv[i + 1]));
  }
  const cv::Mat base = cv::imread(kAstronaut, cv::IMREAD_COLOR);
  if (base.empty()) {
    std::cerr << kAstronaut << ": missing (Debian python3-skimage; run scripts/setup.sh)\n";
    return 1;
  }
  const auto images = make_images(base, n_images);
  std::printf("faces: %d images of 512x512 (astronaut variants), %d threads, median of %d runs\n", n_images, threads,
              repeat);

  // ---- bare dlib: HOG detect + shape predictor, nothing else ----------------------------
  dlib::shape_predictor sp;
  dlib::deserialize(kModel) >> sp;
  std::vector<dlib::frontal_face_detector> hogs(static_cast<std::size_t>(threads), dlib::get_frontal_face_detector());
  std::atomic<long> bare_faces{0};
  auto bare = [&](int t, std::size_t i) {
    cv::Mat gray;
    cv::cvtColor(images[i], gray, cv::COLOR_BGR2GRAY);
    dlib::cv_image<unsigned char> img(gray);
    const auto rects = hogs[static_cast<std::size_t>(t)](img);
    for (const auto& r : rects) {
      const auto shape = sp(img, r);
      if (shape.num_parts() == 68) ++bare_faces;
    }
  };

  // ---- Kohl: detect + landmarks + MT-14 regions + makeup regions + skin tone --------------
  std::vector<std::unique_ptr<faces::FaceDetector>> dets;
  for (int t = 0; t < threads; ++t) {
    auto d = faces::FaceDetector::create({});
    if (!d) {
      std::cerr << d.status().message() << "\n";
      return 1;
    }
    dets.push_back(std::move(d).value());
  }
  std::atomic<long> kohl_faces{0}, kohl_skin{0};
  auto kohl_run = [&](int t, std::size_t i) {
    auto r = faces::analyze_faces(images[i], *dets[static_cast<std::size_t>(t)]);
    if (!r) return;
    for (const auto& a : r.value()) {
      ++kohl_faces;
      if (a.skin) ++kohl_skin;
    }
  };

  // Warm up both (caches, lazy allocations), then alternate so drift hits both alike.
  run_parallel(threads, images.size(), bare);
  run_parallel(threads, images.size(), kohl_run);
  std::vector<double> t_bare, t_kohl;
  for (int r = 0; r < repeat; ++r) {
    bare_faces = 0;
    kohl_faces = 0;
    kohl_skin = 0;
    t_bare.push_back(run_parallel(threads, images.size(), bare));
    t_kohl.push_back(run_parallel(threads, images.size(), kohl_run));
  }
  const double tb = median(t_bare), tk = median(t_kohl);
  const double fps_bare = bare_faces / tb, fps_kohl = kohl_faces / tk;
  std::printf("  bare dlib detect+landmarks   %7.3f s  %6.1f faces/s  (%ld faces)\n", tb, fps_bare, bare_faces.load());
  std::printf("  kohl detect+landmarks+masks+skin %7.3f s  %6.1f faces/s  (%ld faces, %ld with skin tone)\n", tk,
              fps_kohl, kohl_faces.load(), kohl_skin.load());

  // ---- rendering at 256 px: the makeup plugin vs a flat alpha blend ------------------------
  double renders_per_s = 0, flat_per_s = 0;
  {
    core::PluginHost host;
    host.load_dirs(core::PluginHost::default_search_dirs());
    auto renderer = faces::MakeupRenderer::create(host);
    if (!renderer) {
      std::cerr << renderer.status().message() << "\n";
      return 1;
    }
    cv::Mat face;
    cv::resize(base(cv::Rect(128, 0, 256, 256)), face, cv::Size(256, 256));
    auto found = dets[0]->detect(face);
    if (!found || found.value().empty()) {
      std::cerr << "no face in the 256 px crop\n";
      return 1;
    }
    const auto pts = found.value().front().landmarks;
    const sdk::Json palette = {
        {"lip", {{"lab", {45, 55, 25}}, {"opacity", 0.8}, {"finish", "gloss"}}},
        {"eyeshadow", {{"lab", {40, 15, -20}}, {"opacity", 0.6}, {"spread", 0.5}}},
        {"blush", {{"lab", {65, 30, 15}}, {"opacity", 0.5}}},
        {"foundation", {{"lab", {70, 12, 20}}, {"coverage", 0.4}}},
        {"eyeliner", {{"lab", {15, 2, 2}}, {"opacity", 0.9}, {"thickness", 0.4}}}};
    const int n = 200;
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      auto out = renderer.value().render(face, pts, palette);
      if (!out) {
        std::cerr << out.status().message() << "\n";
        return 1;
      }
    }
    renders_per_s = n / seconds_since(t0);
    // Reference: the regions, then each colour alpha-blended flat over its hard mask.
    auto flat_colour = [](std::initializer_list<double> lab) {
      auto it = lab.begin();
      const auto bgr = sdk::color::lab_to_bgr8(sdk::color::Lab{it[0], it[1], it[2]});
      return cv::Scalar(bgr[0], bgr[1], bgr[2]);
    };
    t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto reg = sdk::face::face_regions(face.size(), pts);
      cv::Mat out = face.clone();
      auto blend = [&](const cv::Mat& mask, const cv::Scalar& c, double a) {
        cv::Mat layer(out.size(), out.type(), c), mixed;
        cv::addWeighted(out, 1 - a, layer, a, 0, mixed);
        mixed.copyTo(out, mask);
      };
      blend(sdk::face::label_mask(reg.labels, {sdk::face::kMtSkin, sdk::face::kMtNose}), flat_colour({70, 12, 20}), 0.4);
      blend(reg.cheeks, flat_colour({65, 30, 15}), 0.5);
      blend(reg.eyeshadow, flat_colour({40, 15, -20}), 0.6);
      blend(sdk::face::label_mask(reg.labels, {sdk::face::kMtUpperLip, sdk::face::kMtLowerLip}), flat_colour({45, 55, 25}), 0.8);
    }
    flat_per_s = n / seconds_since(t0);
    std::printf("  makeup render (5 items) at 256 px: %7.1f renders/s; flat alpha blend: %7.1f /s (1 thread)\n",
                renders_per_s, flat_per_s);
  }
  std::printf("RESULT faces ratio=%.3f kohl_faces_per_s=%.1f bare_dlib_faces_per_s=%.1f threads=%d size=512 "
              "renders_per_s_256=%.1f flat_blend_per_s_256=%.1f render_ratio=%.2f\n",
              tk / tb, fps_kohl, fps_bare, threads, renders_per_s, flat_per_s, flat_per_s / renders_per_s);
  return 0;
}

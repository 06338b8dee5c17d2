// bench/infer and bench/serve: the bare model, as the server runs it. Loads a bundle's
// model.pt through core::InferenceModel (libkohl_train.so), prepares one image with
// sdk::to_planes, and measures either
//   --mode latency      batch-1 latency of model runs, one at a time (median and p90), or
//   --mode throughput   model runs per second with --concurrency threads calling run() at once
//                       (what `kohl serve --threads N` does without HTTP, decoding and JSON).
// --no-optimize runs the module as loaded (no freezing / optimize_for_inference).
// Prints one JSON line.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kohl/core/infer_api.hpp"
#include "kohl/sdk/preprocess.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string bundle, image, mode = "latency";
  int threads = 2, concurrency = 1, repeat = 200, warmup = 20;
  double seconds = 5;
  bool optimize = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--bundle") bundle = next();
    else if (a == "--image") image = next();
    else if (a == "--mode") mode = next();
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--concurrency") concurrency = std::stoi(next());
    else if (a == "--repeat") repeat = std::stoi(next());
    else if (a == "--seconds") seconds = std::stod(next());
    else if (a == "--no-optimize") optimize = false;
    else {
      std::cerr << "usage: kohl_bench_infer --bundle DIR --image FILE [--mode latency|throughput] [--threads N]\n"
                   "       [--concurrency N] [--repeat N] [--seconds S] [--no-optimize]\n";
      return 2;
    }
  }
  std::ifstream pre_in(bundle + "/preprocessing.json");
  auto pre_json = nlohmann::json::parse(pre_in, nullptr, false);
  auto pre = kohl::sdk::Preprocessing::from_json(pre_json, bundle + "/preprocessing.json");
  if (!pre) {
    std::cerr << pre.status().message() << "\n";
    return 1;
  }
  const cv::Mat bgr = cv::imread(image, cv::IMREAD_COLOR);
  if (bgr.empty()) {
    std::cerr << image << ": cannot read\n";
    return 1;
  }
  auto model = kohl::core::InferenceModel::open(bundle + "/model.pt", threads, optimize);
  if (!model) {
    std::cerr << model.status().message() << "\n";
    return 1;
  }
  const int s = pre.value().size;
  std::vector<float> input(static_cast<std::size_t>(3) * s * s);
  kohl::sdk::to_planes(bgr, pre.value(), input.data());
  auto run_once = [&](std::vector<float>& out) {
    std::int64_t outputs = 0;
    if (auto st = model.value()->run(input.data(), 1, 3, s, s, out, outputs); !st) {
      std::cerr << st.message() << "\n";
      std::exit(1);
    }
  };
  std::vector<float> out;
  for (int i = 0; i < warmup; ++i) run_once(out);

  nlohmann::json result = {{"mode", mode}, {"threads", threads}, {"optimized", model.value()->optimized()},
                           {"size", s}};
  if (mode == "latency") {
    std::vector<double> ms;
    for (int i = 0; i < repeat; ++i) {
      const auto t0 = Clock::now();
      run_once(out);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    result["median_ms"] = ms[ms.size() / 2];
    result["p90_ms"] = ms[ms.size() * 9 / 10];
    result["runs"] = repeat;
  } else {
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::vector<std::thread> workers;
    const auto t0 = Clock::now();
    for (int c = 0; c < concurrency; ++c)
      workers.emplace_back([&] {
        std::vector<float> o;
        while (!stop) {
          run_once(o);
          ++done;
        }
      });
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& w : workers) w.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    result["concurrency"] = concurrency;
    result["runs_per_s"] = static_cast<double>(done) / elapsed;
  }
  std::cout << result.dump() << std::endl;
  return 0;
}

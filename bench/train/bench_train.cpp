// bench/train: Kohl's compute-only training loop. Loads a backbone plugin through
// core::PluginHost (as the engine does), builds it for SIZE px inputs and CLASSES outputs,
// and runs the engine's step (zero_grad, forward, cross-entropy, backward, Adam lr 1e-3,
// loss.item(), argmax/eq/sum for the accuracy) on one fixed random batch already in memory:
// no decoding, no loader. Images/s over STEPS steps after WARMUP steps. Like the engine
// (host/train/src/trainer.cpp), freed memory stays in the process (core::KeepFreedMemory),
// so this is the engine's compute, not a different setting.
//
// Usage: kohl_bench_train [--backbone ID] [--width W] [--size 128] [--batch 32]
//                         [--threads 2] [--classes 10] [--steps 20] [--warmup 3]
// Prints `compute_only_images_per_s=X` (and the per-step mean) on stdout.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <torch/torch.h>

#include "kohl/core/memory.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/backbone.hpp"

int main(int argc, char** argv) {
  std::string backbone = "org.kohl.backbone.resnet18";
  double width = 1.0;
  int size = 128, batch = 32, threads = 2, classes = 10, steps = 20, warmup = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--backbone") backbone = v;
    else if (k == "--width") width = std::atof(v.c_str());
    else if (k == "--size") size = std::atoi(v.c_str());
    else if (k == "--batch") batch = std::atoi(v.c_str());
    else if (k == "--threads") threads = std::atoi(v.c_str());
    else if (k == "--classes") classes = std::atoi(v.c_str());
    else if (k == "--steps") steps = std::atoi(v.c_str());
    else if (k == "--warmup") warmup = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "kohl_bench_train: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  kohl::core::KeepFreedMemory keep_freed_memory;
  kohl::core::PluginHost host;
  host.load_dirs(kohl::core::PluginHost::default_search_dirs());
  kohl::sdk::Json params = kohl::sdk::Json::object();
  if (backbone == "org.kohl.backbone.resnet18") params["width"] = width;
  auto made = host.create<kohl::sdk::IBackbone>(backbone, params);
  if (!made) {
    std::fprintf(stderr, "kohl_bench_train: %s: %s\n", backbone.c_str(), made.status().message().c_str());
    return 1;
  }
  auto net = made.value();
  torch::set_num_threads(threads);
  torch::manual_seed(1);
  kohl::sdk::BackboneConfig cfg;
  cfg.in_channels = 3;
  cfg.height = size;
  cfg.width = size;
  cfg.num_outputs = classes;
  if (auto s = net->build(cfg); !s) {
    std::fprintf(stderr, "kohl_bench_train: build failed: %s\n", s.message().c_str());
    return 1;
  }
  auto& module = net->module();
  module.train();
  torch::optim::Adam opt(module.parameters(), torch::optim::AdamOptions(1e-3));
  const torch::Tensor x = torch::randn({batch, 3, size, size});
  const torch::Tensor y = torch::randint(0, classes, {batch}, torch::kInt64);
  std::int64_t params_count = 0;
  for (const auto& p : module.parameters()) params_count += p.numel();

  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (int i = 0; i < warmup + steps; ++i) {
    if (i == warmup) t0 = Clock::now();
    opt.zero_grad();
    auto logits = net->forward(x);
    if (!logits.defined()) return 1;
    auto loss = torch::nn::functional::cross_entropy(logits, y);
    loss.backward();
    opt.step();
    loss_sum += loss.item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("compute-only: %s width=%g, %lld parameters, batch %d at %d px, %d threads: %d steps in %.2f s "
              "(%.1f ms/step; last loss %.3f)\n",
              backbone.c_str(), width, static_cast<long long>(params_count), batch, size, threads, steps, secs,
              1000.0 * secs / steps, loss_sum / (warmup + steps));
  std::printf("compute_only_images_per_s=%.2f\n", batch * steps / secs);
  (void)correct;
  return 0;
}

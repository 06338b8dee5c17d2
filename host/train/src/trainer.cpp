// The training engine (libkohl_train.so): data loading in worker threads with a bounded,
// ordered prefetch queue, the LibTorch loop, metrics streamed into the run, atomic
// checkpoints, resume, and evaluation through an evaluator plugin. Entry points at the
// bottom (extern "C"), called by kohl/core/train_api.hpp.
//
// Reproducibility: the batch order is a Fisher-Yates shuffle from (seed, epoch) and every
// sample's augmentation rng is seeded from (seed, epoch, sample index), so neither the
// worker count nor thread timing changes what the network sees; LibTorch's generator is
// seeded before the network is built and saved in checkpoints.
//
// Data-parallel training later (c10d + Gloo): the epoch plan is built for `world` ranks
// (each takes every world-th batch: plan_epoch(..., rank, world)), and only rank 0 writes
// the project (the Trainer's store calls are the single writer).
#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "kohl/core/codecs.hpp"
#include "kohl/core/data_store.hpp"
#include "kohl/core/memory.hpp"
#include "kohl/core/parallel.hpp"
#include "kohl/core/plugin_host.hpp"
#include "kohl/core/runs.hpp"
#include "kohl/core/train_api.hpp"
#include "kohl/core/version.hpp"
#include "kohl/faces/palette_measure.hpp"
#include "kohl/sdk/backbone.hpp"
#include "kohl/sdk/color.hpp"
#include "kohl/sdk/layouts.hpp"
#include "kohl/sdk/preprocess.hpp"
#include "model_io.hpp"

namespace kohl::train {

namespace fs = std::filesystem;
using sdk::Json;
using sdk::Result;
using sdk::Status;
using Clock = std::chrono::steady_clock;

namespace {

// ---- data ---------------------------------------------------------------------------------

struct Item {
  std::int64_t image = 0;
  std::string path;
  std::int64_t target = -1;  // classify: class index
  std::vector<std::int64_t> heads;  // attributes: class index per head (label set), -1 = not labelled
  std::vector<float> values; // recommend: CIELAB triples, one per region (the reference palette)
  sdk::Sample sample;        // annotations (no pixels), for augmenters
  std::string band;          // skin-tone band for per-band metrics
};

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The batches of one epoch for one rank: a seeded shuffle, cut into batches; rank r of
// `world` takes batches r, r + world, ...
std::vector<std::vector<std::size_t>> plan_epoch(std::size_t n, int batch, std::uint64_t seed, int epoch, bool shuffle,
                                                 int rank = 0, int world = 1) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    std::uint64_t state = mix(seed ^ mix(static_cast<std::uint64_t>(epoch) + 1));
    for (std::size_t i = n; i > 1; --i) {
      state = mix(state);
      std::swap(order[i - 1], order[state % i]);
    }
  }
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t b = 0, k = 0; b < n; b += static_cast<std::size_t>(batch), ++k) {
    if (static_cast<int>(k % static_cast<std::size_t>(world)) != rank) continue;
    out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(b),
                     order.begin() + static_cast<std::ptrdiff_t>(std::min(n, b + static_cast<std::size_t>(batch))));
  }
  return out;
}

struct Batch {
  torch::Tensor images;   // N,3,S,S float, normalised
  torch::Tensor targets;  // N int64 (classify), N,H int64 (attributes, -1 = no label) or N,T float
                          // (recommend: CIELAB / kLabScale)
  std::vector<std::size_t> items;
  std::string error;      // a sample that could not be read: the message names its file
};

// Regression targets are CIELAB divided by this, so they are of order 1 like the inputs.
constexpr float kLabScale = 100.0f;

// Images become network inputs as sdk::Preprocessing's defaults say: resized (area), RGB,
// /255, ImageNet mean and std; recorded in the run's config as its preprocessing, and the
// same function (sdk::to_planes) prepares a deployed model's inputs.
sdk::Preprocessing preprocessing_of(int size) {
  sdk::Preprocessing p;
  p.size = size;
  return p;
}

// Worker threads build batches ahead of the loop, at most `capacity` batches ahead, and
// hand them over in order.
class Loader {
 public:
  Loader(const std::vector<Item>& items, std::vector<std::vector<std::size_t>> plan, int size, int workers,
         int capacity, std::uint64_t seed, int epoch, std::vector<std::shared_ptr<sdk::IAugmenter>> augmenters)
      : items_(items), plan_(std::move(plan)), size_(size), preprocessing_(preprocessing_of(size)),
        capacity_(capacity), seed_(seed), epoch_(epoch), augmenters_(std::move(augmenters)) {
    for (int w = 0; w < std::max(1, workers); ++w) threads_.emplace_back([this] { work(); });
  }
  ~Loader() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  std::size_t size() const { return plan_.size(); }

  // The next batch in order; false when the epoch is over.
  bool next(Batch& out) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (consumed_ >= plan_.size()) return false;
    cv_.wait(lock, [&] { return ready_.count(consumed_) > 0; });
    out = std::move(ready_[consumed_]);
    ready_.erase(consumed_);
    ++consumed_;
    cv_.notify_all();
    return true;
  }

 private:
  void work() {
    for (;;) {
      std::size_t k;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stop_ || (claimed_ < plan_.size() && claimed_ < consumed_ + capacity_); });
        if (stop_) return;
        k = claimed_++;
      }
      Batch b = build(plan_[k]);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_[k] = std::move(b);
      }
      cv_.notify_all();
    }
  }

  Batch build(const std::vector<std::size_t>& idx) {
    Batch b;
    b.items = idx;
    const auto n = static_cast<std::int64_t>(idx.size());
    b.images = torch::empty({n, 3, size_, size_}, torch::kFloat32);
    const bool regress = !items_.empty() && !items_[idx.front()].values.empty();
    const bool multi = !items_.empty() && !items_[idx.front()].heads.empty();
    const auto t = regress ? static_cast<std::int64_t>(items_[idx.front()].values.size())
                   : multi ? static_cast<std::int64_t>(items_[idx.front()].heads.size())
                           : 0;
    b.targets = regress ? torch::empty({n, t}, torch::kFloat32)
                : multi ? torch::empty({n, t}, torch::kInt64)
                        : torch::empty({n}, torch::kInt64);
    float* dst = b.images.data_ptr<float>();
    const std::size_t plane = static_cast<std::size_t>(size_) * static_cast<std::size_t>(size_);
    for (std::int64_t i = 0; i < n; ++i) {
      const Item& it = items_[idx[static_cast<std::size_t>(i)]];
      auto img = core::codecs::read(it.path);
      if (!img) {
        b.error = img.status().message();
        return b;
      }
      sdk::Sample s = it.sample;
      s.image = img.value();
      if (!augmenters_.empty()) {
        std::mt19937_64 rng(mix(seed_ ^ mix((static_cast<std::uint64_t>(epoch_) << 32) ^ idx[static_cast<std::size_t>(i)])));
        for (const auto& a : augmenters_) {
          if (Status st = a->apply(s, rng); !st) {
            b.error = it.path + ": augmenter failed: " + st.message();
            return b;
          }
        }
      }
      sdk::to_planes(s.image, preprocessing_, dst + static_cast<std::size_t>(i) * 3 * plane);
      if (regress) {
        float* v = b.targets.data_ptr<float>() + i * t;
        for (std::int64_t k = 0; k < t; ++k) v[k] = it.values[static_cast<std::size_t>(k)] / kLabScale;
      } else if (multi) {
        std::int64_t* v = b.targets.data_ptr<std::int64_t>() + i * t;
        for (std::int64_t k = 0; k < t; ++k) v[k] = it.heads[static_cast<std::size_t>(k)];
      } else {
        b.targets.data_ptr<std::int64_t>()[i] = it.target;
      }
    }
    return b;
  }

  const std::vector<Item>& items_;
  std::vector<std::vector<std::size_t>> plan_;
  int size_;
  sdk::Preprocessing preprocessing_;
  std::size_t capacity_;
  std::uint64_t seed_;
  int epoch_;
  const std::vector<std::shared_ptr<sdk::IAugmenter>> augmenters_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::size_t, Batch> ready_;
  std::size_t claimed_ = 0, consumed_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// The skin-tone band of a sample: the annotated Monk label when there is one, else the
// measured one (auto-annotation's skin_monk), in three bands.
std::string band_of(const core::ImageEntry& e) {
  int monk = 0;
  if (auto it = e.labels.find("monk"); it != e.labels.end()) monk = std::atoi(it->second.c_str());
  else if (auto a = e.attributes.find("skin_monk"); a != e.attributes.end())
    if (const double* d = std::get_if<double>(&a->second)) monk = static_cast<int>(std::lround(*d));
  if (monk <= 0) return "";
  return monk <= 3 ? "monk 1-3" : monk <= 6 ? "monk 4-6" : "monk 7-10";
}

// An entry as the loader sees it: its file, band and annotations (for augmenters); the
// target is set by the task.
Item item_from(const core::ImageEntry& e) {
  Item item;
  item.image = e.id;
  item.path = e.path;
  item.band = band_of(e);
  item.sample.id = std::to_string(e.id);
  item.sample.labels = e.labels;
  item.sample.attributes = e.attributes;
  item.sample.landmarks = e.landmarks;
  item.sample.boxes = e.boxes;
  return item;
}

Result<std::vector<Item>> items_for(core::DataStore& store, const std::string& snapshot, const std::string& split,
                                    const std::string& label_set, const std::vector<std::string>& classes,
                                    std::size_t& unlabelled) {
  auto entries = store.snapshot_entries(snapshot, split, false);
  if (!entries) return entries.status();
  std::vector<Item> out;
  unlabelled = 0;
  for (auto& e : entries.value()) {
    auto it = e.labels.find(label_set);
    if (it == e.labels.end()) {
      ++unlabelled;
      continue;
    }
    const auto c = std::find(classes.begin(), classes.end(), it->second);
    if (c == classes.end()) {
      ++unlabelled;
      continue;
    }
    Item item = item_from(e);
    item.target = c - classes.begin();
    out.push_back(std::move(item));
  }
  return out;
}

// Multi-attribute classification: one head per label set. An image carrying at least one
// of the label sets (with a class the set knows) is kept, its other heads marked -1 (no
// loss, not counted); an image carrying none is skipped and counted.
struct Head {
  std::string set;
  std::vector<std::string> classes;
  std::int64_t offset = 0;  // first logit of this head in the network's output
  torch::Tensor weights;    // class weights (--class-weights), else undefined
};

Result<std::vector<Item>> attribute_items(core::DataStore& store, const std::string& snapshot, const std::string& split,
                                          const std::vector<Head>& heads, std::size_t& unlabelled) {
  auto entries = store.snapshot_entries(snapshot, split, false);
  if (!entries) return entries.status();
  std::vector<Item> out;
  unlabelled = 0;
  for (auto& e : entries.value()) {
    std::vector<std::int64_t> idx(heads.size(), -1);
    bool any = false;
    for (std::size_t h = 0; h < heads.size(); ++h) {
      auto it = e.labels.find(heads[h].set);
      if (it == e.labels.end()) continue;
      const auto c = std::find(heads[h].classes.begin(), heads[h].classes.end(), it->second);
      if (c == heads[h].classes.end()) continue;
      idx[h] = c - heads[h].classes.begin();
      any = true;
    }
    if (!any) {
      ++unlabelled;
      continue;
    }
    Item item = item_from(e);
    item.heads = std::move(idx);
    out.push_back(std::move(item));
  }
  return out;
}

// Why pairs were left out of a recommendation set.
struct PairSkips {
  std::size_t incomplete = 0;  // no made-up twin, or (palette) a region missing from its palette
  std::size_t unmeasured = 0;  // (measured) the made-up image lacks landmarks / a mask, or a region is too small
  std::string first_reason;    // the first unmeasured pair: its file and what is missing
};

// Recommendation: the bare image of each bare/made-up pair is the input; the target is
// either the palette the made-up twin wears (targets "palette": palette_<region>_l/_a/_b
// attributes, as `kohl data synth --pairs` records them; pairs without every requested
// region are skipped) or the colours measured on the made-up image's regions (targets
// "measured": kohl/faces/palette_measure.hpp, from its dlib-68 landmarks or MT-14 mask;
// pairs whose made-up image lacks them are skipped and counted).
Result<std::vector<Item>> recommend_items(core::DataStore& store, const std::string& snapshot, const std::string& split,
                                          const std::vector<std::string>& regions, const std::string& targets,
                                          int threads, PairSkips& skips) {
  const bool measured = targets == "measured";
  auto entries = store.snapshot_entries(snapshot, split, measured);
  if (!entries) return entries.status();
  std::map<std::string, const core::ImageEntry*> made_up;
  for (const auto& e : entries.value())
    if (e.pair_role == "makeup") made_up[e.pair_group] = &e;
  std::vector<Item> out;
  std::vector<const core::ImageEntry*> twin_of;
  skips = PairSkips{};
  for (const auto& e : entries.value()) {
    if (e.pair_role != "bare") continue;
    auto m = made_up.find(e.pair_group);
    std::vector<float> values;
    bool complete = m != made_up.end();
    for (std::size_t r = 0; !measured && complete && r < regions.size(); ++r)
      for (const char* c : {"_l", "_a", "_b"}) {
        auto a = m->second->attributes.find("palette_" + regions[r] + c);
        const double* d = a == m->second->attributes.end() ? nullptr : std::get_if<double>(&a->second);
        if (!d) {
          complete = false;
          break;
        }
        values.push_back(static_cast<float>(*d));
      }
    if (!complete) {
      ++skips.incomplete;
      continue;
    }
    Item item = item_from(e);
    item.values = std::move(values);
    out.push_back(std::move(item));
    twin_of.push_back(m->second);
  }
  if (!measured) return out;

  // Measure every made-up twin (decode, regions, trimmed mean), in parallel.
  std::vector<std::string> errors(out.size());
  core::parallel_for(out.size(), threads, [&](std::size_t i) {
    const core::ImageEntry& m = *twin_of[i];
    std::vector<cv::Point2f> pts;
    for (const auto& l : m.landmarks)
      if (l.layout == sdk::kLayoutDlib68 && l.points.size() == 68) {
        pts = l.points;
        break;
      }
    cv::Mat mask;
    if (m.mask && m.mask->label_map == sdk::kLabelMapMt14) mask = m.mask->labels;
    if (pts.empty() && mask.empty()) {
      errors[i] = m.path + ": the made-up image has no dlib-68 landmarks and no MT-14 mask (run `kohl annotate auto` "
                           "first)";
      return;
    }
    auto img = core::codecs::read(m.path);
    if (!img) {
      errors[i] = img.status().message();
      return;
    }
    auto lab = faces::measure_palette(img.value(), pts, mask, regions);
    if (!lab) {
      errors[i] = m.path + ": " + lab.status().message();
      return;
    }
    for (const auto& c : lab.value())
      out[i].values.insert(out[i].values.end(), {static_cast<float>(c.L), static_cast<float>(c.a), static_cast<float>(c.b)});
  });
  std::vector<Item> kept;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (errors[i].empty()) {
      kept.push_back(std::move(out[i]));
      continue;
    }
    if (skips.first_reason.empty()) skips.first_reason = errors[i];
    ++skips.unmeasured;
  }
  return kept;
}

// Attributes: per head, the cross-entropy over the batch's samples that carry its label,
// summed over the heads (a head with no labelled sample in the batch adds nothing). Tallies
// each head's loss, correct predictions and labelled samples.
struct HeadTally {
  double loss_sum = 0;
  std::int64_t correct = 0, labelled = 0;
};

torch::Tensor heads_loss(const torch::Tensor& logits, const torch::Tensor& y, const std::vector<Head>& heads,
                         bool weighted, std::vector<HeadTally>& tally) {
  torch::Tensor total;
  for (std::size_t h = 0; h < heads.size(); ++h) {
    auto yh = y.select(1, static_cast<std::int64_t>(h));
    auto labelled = yh.ge(0);
    const auto n = labelled.sum().item<std::int64_t>();
    if (n == 0) continue;
    auto lg = logits.narrow(1, heads[h].offset, static_cast<std::int64_t>(heads[h].classes.size())).index({labelled});
    auto t = yh.index({labelled});
    auto opts = torch::nn::functional::CrossEntropyFuncOptions();
    if (weighted && heads[h].weights.defined()) opts.weight(heads[h].weights);
    auto l = torch::nn::functional::cross_entropy(lg, t, opts);
    tally[h].loss_sum += l.item<double>() * static_cast<double>(n);
    tally[h].correct += lg.argmax(1).eq(t).sum().item<std::int64_t>();
    tally[h].labelled += n;
    total = total.defined() ? total + l : l;
  }
  return total;
}

// Per-head metrics of an epoch: loss_<set>, acc_<set>; "loss" is the sum of the heads'
// losses (what is minimised), "accuracy" the mean of the heads' accuracies.
void head_metrics(const std::vector<Head>& heads, const std::vector<HeadTally>& tally,
                  std::map<std::string, double>& m) {
  double loss = 0, acc = 0;
  int counted = 0;
  for (std::size_t h = 0; h < heads.size(); ++h) {
    if (tally[h].labelled == 0) continue;
    const double l = tally[h].loss_sum / static_cast<double>(tally[h].labelled);
    const double a = static_cast<double>(tally[h].correct) / static_cast<double>(tally[h].labelled);
    m["loss_" + heads[h].set] = l;
    m["acc_" + heads[h].set] = a;
    loss += l;
    acc += a;
    ++counted;
  }
  m["loss"] = loss;
  m["accuracy"] = counted > 0 ? acc / counted : 0.0;
}

// Mean CIEDE2000 over the regions of a batch: predictions and targets N,T in Lab/kLabScale.
double mean_delta_e(const torch::Tensor& pred, const torch::Tensor& target, double& count) {
  auto p = pred.to(torch::kFloat64).contiguous(), t = target.to(torch::kFloat64).contiguous();
  const double* a = p.data_ptr<double>();
  const double* b = t.data_ptr<double>();
  double sum = 0;
  count = 0;
  for (std::int64_t i = 0; i + 2 < p.numel(); i += 3) {
    const sdk::color::Lab x{a[i] * kLabScale, a[i + 1] * kLabScale, a[i + 2] * kLabScale};
    const sdk::color::Lab y{b[i] * kLabScale, b[i + 1] * kLabScale, b[i + 2] * kLabScale};
    sum += sdk::color::ciede2000(y, x);
    count += 1;
  }
  return sum;
}

// ---- checkpoints --------------------------------------------------------------------------

// Writes beside, fsyncs, renames: a checkpoint is whole or absent, even after kill -9.
Status write_atomically(const fs::path& path, const std::function<void(const std::string&)>& write) {
  const fs::path tmp = path.string() + ".tmp";
  try {
    write(tmp.string());
  } catch (const std::exception& e) {
    return Status::io_error(tmp.string() + ": cannot write the checkpoint: " + e.what());
  }
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return Status::io_error(tmp.string() + ": cannot flush the checkpoint to disk");
  }
  ::close(fd);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Status::io_error(path.string() + ": cannot move the checkpoint in place: " + ec.message());
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::ok();
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const core::TrainRequest& r,
                                                        const std::vector<torch::Tensor>& params) {
  if (r.optimizer == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(r.lr).momentum(r.momentum).weight_decay(r.weight_decay));
  if (r.optimizer == "adamw")
    return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(r.lr).weight_decay(r.weight_decay));
  return std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(r.lr).weight_decay(r.weight_decay));
}

double lr_at(const core::TrainRequest& r, int epoch) {  // epoch is 0-based
  if (epoch < r.warmup_epochs) return r.lr * (epoch + 1) / (r.warmup_epochs + 1);
  const int e = epoch - r.warmup_epochs, total = std::max(1, r.epochs - r.warmup_epochs);
  if (r.schedule == "cosine") return r.lr * 0.5 * (1.0 + std::cos(M_PI * e / total));
  if (r.schedule == "step") return r.lr * std::pow(0.1, e / std::max(1, total / 3));
  return r.lr;
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) g.options().set_lr(lr);
}

Json request_json(const core::TrainRequest& r) {
  return {{"backbone", r.backbone},     {"backbone_params", r.backbone_params}, {"task", r.task},
          {"label_set", r.label_set},   {"label_sets", r.label_sets},           {"targets", r.targets},
          {"epochs", r.epochs},         {"batch", r.batch},
          {"image_size", r.image_size}, {"seed", r.seed},                       {"optimizer", r.optimizer},
          {"lr", r.lr},                 {"momentum", r.momentum},               {"weight_decay", r.weight_decay},
          {"schedule", r.schedule},     {"warmup_epochs", r.warmup_epochs},     {"clip_grad_norm", r.clip_grad_norm},
          {"class_weights", r.class_weights}, {"patience", r.patience},         {"augmenters", r.augmenters},
          {"regions", r.regions},
          {"device", r.device},         {"threads", r.threads}};
}

core::TrainRequest request_from_json(const Json& j, const core::TrainRequest& base) {
  core::TrainRequest r = base;
  r.backbone = j.value("backbone", r.backbone);
  r.backbone_params = j.value("backbone_params", Json::object());
  r.task = j.value("task", r.task);
  r.label_set = j.value("label_set", r.label_set);
  r.label_sets = j.value("label_sets", std::vector<std::string>{});
  r.targets = j.value("targets", std::string("palette"));  // runs made before --targets: palette
  r.epochs = base.epochs > 0 ? base.epochs : j.value("epochs", 10);
  r.batch = j.value("batch", r.batch);
  r.image_size = j.value("image_size", r.image_size);
  r.seed = j.value("seed", r.seed);
  r.optimizer = j.value("optimizer", r.optimizer);
  r.lr = j.value("lr", r.lr);
  r.momentum = j.value("momentum", r.momentum);
  r.weight_decay = j.value("weight_decay", r.weight_decay);
  r.schedule = j.value("schedule", r.schedule);
  r.warmup_epochs = j.value("warmup_epochs", r.warmup_epochs);
  r.clip_grad_norm = j.value("clip_grad_norm", r.clip_grad_norm);
  r.class_weights = j.value("class_weights", r.class_weights);
  r.patience = j.value("patience", r.patience);
  r.augmenters = j.value("augmenters", std::vector<std::string>{});
  r.regions = j.value("regions", std::vector<std::string>{"lip"});
  r.device = j.value("device", r.device);
  r.threads = j.value("threads", r.threads);
  return r;
}

Json environment(int threads) {
  struct utsname u {};
  ::uname(&u);
  return {{"kohl", core::kKohlVersion},
          {"libtorch", TORCH_VERSION},
          {"opencv", CV_VERSION},
          {"machine", std::string(u.sysname) + " " + u.release + " " + u.machine},
          {"host", u.nodename},
          {"cpus", std::thread::hardware_concurrency()},
          {"threads", threads},
          {"cuda", torch::cuda::is_available()}};
}

// ---- the job ------------------------------------------------------------------------------

Result<Json> run_training(const core::TrainRequest& req_in, sdk::IProgress& progress) {
  auto project = core::Project::open(req_in.project, core::Project::Mode::kReadWrite);
  if (!project) return project.status();
  core::DataStore store(*project.value());
  core::RunStore runs(*project.value());

  // A resumed run takes its configuration from the project, not from the command line.
  core::TrainRequest req = req_in;
  std::optional<core::RunInfo> run;
  std::vector<core::CheckpointInfo> cps;
  if (!req.resume.empty()) {
    run = runs.run(req.resume);
    if (!run) return Status::invalid("no run '" + req.resume + "' to resume (see `kohl runs ls`)");
    if (run->status == core::kRunDone && req_in.epochs <= run->config.value("epochs", 0))  // 0: not given
      return Status::invalid(run->name + " already finished; give --epochs above " +
                             std::to_string(run->config.value("epochs", 0)) + " to train it further");
    req = request_from_json(run->config, req_in);
    req.snapshot = run->snapshot;
    cps = runs.checkpoints(run->name);
  }
  if (req.epochs == 0) req.epochs = 10;
  const bool regress = req.task == "recommend";
  const bool multi = req.task == "attributes";
  if (req.task != "classify" && !regress && !multi)
    return Status::invalid("task '" + req.task + "': expected classify, attributes or recommend");
  if (multi && req.resume.empty()) {  // --label-set X alone is one set; both at once is ambiguous
    if (!req.label_set.empty() && !req.label_sets.empty())
      return Status::invalid("--task attributes: give --label-sets A,B,... (or --label-set A for one set), not both");
    if (req.label_sets.empty() && !req.label_set.empty()) req.label_sets = {req.label_set};
    req.label_set.clear();
    if (req.label_sets.empty())
      return Status::invalid("--label-sets is required for --task attributes (e.g. --label-sets monk,undertone)");
    for (std::size_t i = 0; i < req.label_sets.size(); ++i)
      for (std::size_t k = 0; k < i; ++k)
        if (req.label_sets[i] == req.label_sets[k])
          return Status::invalid("--label-sets: '" + req.label_sets[i] + "' is given twice");
  }
  if (!regress && !multi && req.label_set.empty()) return Status::invalid("--label-set is required for --task classify");
  if (regress && req.regions.empty()) return Status::invalid("--regions is required for --task recommend");
  if (regress && req.targets != "palette" && req.targets != "measured")
    return Status::invalid("--targets '" + req.targets + "': expected palette or measured");
  if (regress && req.targets == "measured")
    for (const auto& r : req.regions)
      if (faces::measured_region_needs(r).empty())
        return Status::invalid("--targets measured: region '" + r + "' cannot be measured from an image (lip, "
                               "eyeshadow, blush or foundation can; use --targets palette for " + r + ")");
  if (req.epochs < 1 || req.batch < 1 || req.image_size < 16)
    return Status::invalid("--epochs and --batch must be at least 1 and --size at least 16");
  if (req.device == "cuda" && !torch::cuda::is_available())
    return Status::unsupported("--device cuda: this LibTorch has no CUDA (Debian's is CPU-only; build against a CUDA "
                               "LibTorch with -DCMAKE_PREFIX_PATH)");
  const torch::Device device(req.device == "cuda" ? torch::kCUDA : torch::kCPU);
  torch::set_num_threads(std::max(1, req.threads));
  core::KeepFreedMemory keep_freed_memory;

  // classify: the label set's classes; attributes: each set's classes, one head each;
  // recommend: the palette regions, 3 values each.
  std::vector<std::string> classes;
  std::vector<Head> heads;
  if (multi) {
    auto sets = store.label_sets();
    std::int64_t offset = 0;
    for (const auto& name : req.label_sets) {
      auto set = sets.find(name);
      if (set == sets.end() || set->second.empty())
        return Status::invalid("--label-sets: no label set '" + name + "' in the project (see `kohl data ls`)");
      heads.push_back({name, set->second, offset, {}});
      offset += static_cast<std::int64_t>(set->second.size());
    }
  } else if (!regress) {
    auto sets = store.label_sets();
    auto set = sets.find(req.label_set);
    if (set == sets.end() || set->second.empty())
      return Status::invalid("no label set '" + req.label_set + "' in the project (see `kohl data ls`)");
    classes = set->second;
  } else {
    for (const auto& r : req.regions)
      if (r != "lip" && r != "eyeshadow" && r != "blush" && r != "foundation" && r != "eyeliner")
        return Status::invalid("region '" + r + "': expected lip, eyeshadow, blush, foundation or eyeliner");
    classes = req.regions;
  }
  int outputs = static_cast<int>(regress ? 3 * classes.size() : classes.size());
  if (multi) {
    outputs = 0;
    for (const auto& h : heads) outputs += static_cast<int>(h.classes.size());
  }

  std::size_t unlabelled_train = 0, unlabelled_val = 0;
  PairSkips skips_train, skips_val;
  auto load_items = [&](const std::string& split, std::size_t& skipped, PairSkips& skips) -> Result<std::vector<Item>> {
    if (regress) {
      auto r = recommend_items(store, req.snapshot, split, req.regions, req.targets, req.threads, skips);
      skipped = skips.incomplete;  // unmeasured pairs are counted on their own
      return r;
    }
    if (multi) return attribute_items(store, req.snapshot, split, heads, skipped);
    return items_for(store, req.snapshot, split, req.label_set, classes, skipped);
  };
  auto train_items = load_items("train", unlabelled_train, skips_train);
  if (!train_items) return train_items.status();
  auto val_items = load_items("val", unlabelled_val, skips_val);
  if (!val_items) return val_items.status();
  if (train_items.value().empty()) {
    std::string sets;
    for (const auto& h : heads) sets += (sets.empty() ? "" : ", ") + h.set;
    if (regress && req.targets == "measured")
      return Status::invalid("snapshot '" + req.snapshot + "' has no training pairs whose made-up image can be measured (" +
                             std::to_string(skips_train.unmeasured) + " made-up images could not be" +
                             (skips_train.first_reason.empty() ? std::string(")")
                                                               : "; the first: " + skips_train.first_reason + ")"));
    return Status::invalid(
        regress ? "snapshot '" + req.snapshot + "' has no training pairs (bare + made-up with palette_<region> attributes "
                                                "for every region of --regions; make them with `kohl data synth --pairs`)"
        : multi ? "snapshot '" + req.snapshot + "' has no training images labelled in any of " + sets +
                      " (split the data with `kohl data split`, then snapshot again)"
                : "snapshot '" + req.snapshot + "' has no training images labelled in '" + req.label_set +
                      "' (split the data with `kohl data split`, then snapshot again)");
  }

  core::PluginHost host;
  host.load_dirs(core::PluginHost::default_search_dirs());
  auto model = make_model(host, req.backbone, req.backbone_params, outputs, req.image_size, req.seed, regress);
  if (!model) return model.status();
  std::vector<std::shared_ptr<sdk::IAugmenter>> augmenters;
  for (const auto& id : req.augmenters) {
    auto a = host.create<sdk::IAugmenter>(id);
    if (!a) return Status::invalid("augmenter " + id + ": " + a.status().message());
    augmenters.push_back(a.value());
  }
  auto& module = model.value().backbone->module();
  module.to(device);
  auto optimizer = make_optimizer(req, module.parameters());

  // Class weights: inverse frequency over the training split, normalised to mean 1.
  torch::Tensor weights;
  if (req.class_weights && !regress && !multi) {
    std::vector<double> count(classes.size(), 0.0);
    for (const auto& it : train_items.value()) count[static_cast<std::size_t>(it.target)] += 1;
    weights = torch::empty({static_cast<std::int64_t>(classes.size())});
    for (std::size_t k = 0; k < classes.size(); ++k)
      weights[static_cast<std::int64_t>(k)] = count[k] > 0 ? train_items.value().size() / (classes.size() * count[k]) : 0.0;
    weights = weights.to(device);
  }
  if (req.class_weights && multi) {  // per head, over the training images that carry its label
    for (std::size_t h = 0; h < heads.size(); ++h) {
      std::vector<double> count(heads[h].classes.size(), 0.0);
      double labelled = 0;
      for (const auto& it : train_items.value())
        if (it.heads[h] >= 0) {
          count[static_cast<std::size_t>(it.heads[h])] += 1;
          labelled += 1;
        }
      const auto k = heads[h].classes.size();
      auto w = torch::empty({static_cast<std::int64_t>(k)});
      for (std::size_t c = 0; c < k; ++c)
        w[static_cast<std::int64_t>(c)] = count[c] > 0 ? labelled / (static_cast<double>(k) * count[c]) : 0.0;
      heads[h].weights = w.to(device);
    }
  }

  int start_epoch = 0;
  if (run) {
    if (!cps.empty()) {
      auto path = runs.verify_checkpoint(cps.back());
      if (!path) return path.status();
      try {
        torch::serialize::InputArchive in;
        in.load_from(path.value());
        torch::serialize::InputArchive model_in, opt_in;
        in.read("model", model_in);
        in.read("optimizer", opt_in);
        module.load(model_in);
        optimizer->load(opt_in);
        torch::Tensor rng;
        if (in.try_read("rng", rng)) {
          at::Generator gen = at::detail::getDefaultCPUGenerator();  // a handle on the global generator
          std::lock_guard<std::mutex> lock(gen.mutex());
          gen.set_state(rng);
        }
      } catch (const std::exception& e) {
        return Status::invalid(path.value() + ": not a checkpoint Kohl can load: " + e.what());
      }
      start_epoch = cps.back().epoch;
    }
    if (Status s = runs.set_status(run->name, core::kRunRunning); !s) return s;
    if (req.epochs != run->config.value("epochs", 0)) {
      Json config = run->config;
      config["epochs"] = req.epochs;
      if (Status s = runs.set_config(run->name, config); !s) return s;
    }
  } else {
    Json config = request_json(req);
    config["backbone_version"] = model.value().version;
    if (multi) {  // no "classes": readers of classify runs expect a list there
      Json hj = Json::array();
      Json labelled = Json::object();
      for (std::size_t h = 0; h < heads.size(); ++h) {
        hj.push_back({{"label_set", heads[h].set}, {"classes", heads[h].classes}});
        std::size_t n = 0;
        for (const auto& it : train_items.value()) n += it.heads[h] >= 0 ? 1 : 0;
        labelled[heads[h].set] = n;
      }
      config["heads"] = hj;
      config["labelled_train"] = labelled;
    } else {
      config["classes"] = classes;
    }
    config["preprocessing"] = {{"resize", {req.image_size, req.image_size}}, {"color", "RGB"},
                               {"mean", preprocessing_of(req.image_size).mean}, {"std", preprocessing_of(req.image_size).std}};
    config["data"] = {{"train", train_items.value().size()}, {"val", val_items.value().size()},
                      {"unlabelled_skipped", unlabelled_train + unlabelled_val}};
    if (regress && req.targets == "measured")
      config["data"]["unmeasured_skipped"] = skips_train.unmeasured + skips_val.unmeasured;
    auto created = runs.create_run(req.task, req.snapshot, config, environment(req.threads));
    if (!created) return created.status();
    run = created.value();
  }
  const std::string run_dir = (fs::path(runs.runs_dir()) / run->name).string();
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec) return Status::io_error(run_dir + ": cannot create the run's folder: " + ec.message());

  auto fail = [&](const Status& s) -> Status {
    runs.set_status(run->name, core::kRunFailed, s.message());
    return s;
  };

  Json last = Json::object();
  double best_val = std::numeric_limits<double>::infinity();
  int best_epoch = start_epoch, since_best = 0;
  const auto total_batches = (train_items.value().size() + static_cast<std::size_t>(req.batch) - 1) /
                             static_cast<std::size_t>(req.batch);
  progress.phase("train " + run->name, static_cast<std::int64_t>(total_batches) * (req.epochs - start_epoch));
  bool stopped = false;
  int epoch = start_epoch;
  for (; epoch < req.epochs; ++epoch) {
    const double lr = lr_at(req, epoch);
    set_lr(*optimizer, lr);
    module.train();
    const auto t0 = Clock::now();
    double loss_sum = 0;
    std::int64_t correct = 0, seen = 0;
    std::vector<HeadTally> tally(heads.size());
    {
      Loader loader(train_items.value(), plan_epoch(train_items.value().size(), req.batch, req.seed, epoch, true),
                    req.image_size, req.threads, 4, req.seed, epoch, augmenters);
      Batch b;
      while (loader.next(b)) {
        if (!b.error.empty()) return fail(Status::io_error(b.error));
        auto x = b.images.to(device), y = b.targets.to(device);
        optimizer->zero_grad();
        auto logits = model.value().backbone->forward(x);
        if (!logits.defined()) return fail(Status::error(req.backbone + ": forward failed (its message is in the log)"));
        auto loss = multi     ? heads_loss(logits, y, heads, true, tally)
                    : regress ? torch::mse_loss(logits, y)
                    : weights.defined()
                        ? torch::nn::functional::cross_entropy(
                              logits, y, torch::nn::functional::CrossEntropyFuncOptions().weight(weights))
                        : torch::nn::functional::cross_entropy(logits, y);
        loss.backward();
        if (req.clip_grad_norm > 0) torch::nn::utils::clip_grad_norm_(module.parameters(), req.clip_grad_norm);
        optimizer->step();
        loss_sum += loss.item<double>() * static_cast<double>(b.items.size());
        if (!regress && !multi) correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
        seen += static_cast<std::int64_t>(b.items.size());
        progress.advance(1);
        if (progress.cancelled()) {
          stopped = true;
          break;
        }
      }
    }
    if (stopped) break;  // the epoch is not complete: resume starts it again from the last checkpoint
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::map<std::string, double> train_m = {{"loss", loss_sum / std::max<std::int64_t>(1, seen)},
                                             {"lr", lr},
                                             {"images_per_s", seen / std::max(1e-9, secs)}};
    if (multi) head_metrics(heads, tally, train_m);
    else if (!regress) train_m["accuracy"] = static_cast<double>(correct) / std::max<std::int64_t>(1, seen);
    std::map<std::string, double> val_m;
    if (!val_items.value().empty()) {
      c10::InferenceMode inference;  // no autograd bookkeeping at all (cheaper than NoGradGuard)
      module.eval();
      double vloss = 0, de_sum = 0, de_count = 0;
      std::int64_t vcorrect = 0, vseen = 0;
      std::vector<HeadTally> vtally(heads.size());
      Loader loader(val_items.value(), plan_epoch(val_items.value().size(), req.batch, req.seed, epoch, false),
                    req.image_size, req.threads, 4, req.seed, epoch, {});
      Batch b;
      while (loader.next(b)) {
        if (!b.error.empty()) return fail(Status::io_error(b.error));
        auto x = b.images.to(device), y = b.targets.to(device);
        auto logits = model.value().backbone->forward(x);
        if (!logits.defined()) return fail(Status::error(req.backbone + ": forward failed (its message is in the log)"));
        if (multi) {
          heads_loss(logits, y, heads, false, vtally);
        } else if (regress) {
          vloss += torch::mse_loss(logits, y).item<double>() * static_cast<double>(b.items.size());
          double n = 0;
          de_sum += mean_delta_e(logits, y, n);
          de_count += n;
        } else {
          vloss += torch::nn::functional::cross_entropy(logits, y).item<double>() * static_cast<double>(b.items.size());
          vcorrect += logits.argmax(1).eq(y).sum().item<std::int64_t>();
        }
        vseen += static_cast<std::int64_t>(b.items.size());
      }
      val_m = {{"loss", vloss / std::max<std::int64_t>(1, vseen)}};
      if (multi) head_metrics(heads, vtally, val_m);
      else if (regress) val_m["mean_de"] = de_sum / std::max(1.0, de_count);
      else val_m["accuracy"] = static_cast<double>(vcorrect) / std::max<std::int64_t>(1, vseen);
    }
    if (Status s = runs.log_metrics(run->name, epoch + 1, "train", train_m); !s) return fail(s);
    if (!val_m.empty())
      if (Status s = runs.log_metrics(run->name, epoch + 1, "val", val_m); !s) return fail(s);

    // Checkpoint: model, optimizer, generator state; written atomically, hash recorded.
    const std::string rel = run->name + "/epoch-" + std::to_string(epoch + 1) + ".pt";
    Status written = write_atomically(fs::path(runs.runs_dir()) / rel, [&](const std::string& tmp) {
      torch::serialize::OutputArchive out, model_out, opt_out;
      module.save(model_out);
      optimizer->save(opt_out);
      out.write("model", model_out);
      out.write("optimizer", opt_out);
      out.write("rng", at::detail::getDefaultCPUGenerator().get_state());
      out.write("epoch", torch::tensor(static_cast<std::int64_t>(epoch + 1)));
      out.save_to(tmp);
    });
    if (!written) return fail(written);
    if (auto c = runs.add_checkpoint(run->name, epoch + 1, rel); !c) return fail(c.status());

    last = {{"epoch", epoch + 1}, {"train", train_m}, {"val", val_m}};
    progress.message("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(req.epochs) + " loss " +
                     std::to_string(train_m["loss"]) +
                     (val_m.empty() ? ""
                      : regress     ? " val_mean_dE " + std::to_string(val_m["mean_de"])
                                    : " val_acc " + std::to_string(val_m["accuracy"])));
    const double watch = val_m.empty() ? train_m["loss"] : val_m["loss"];
    if (watch < best_val) {
      best_val = watch;
      best_epoch = epoch + 1;
      since_best = 0;
    } else if (req.patience > 0 && ++since_best >= req.patience) {
      ++epoch;
      last["early_stopped"] = true;
      break;
    }
  }
  const std::string status = stopped ? core::kRunStopped : core::kRunDone;
  runs.set_status(run->name, status, stopped ? "stopped at a batch boundary (Ctrl-C); resume with --resume " + run->name
                                             : "");
  const auto final_cps = runs.checkpoints(run->name);
  return Json{{"run", run->name},
              {"status", status},
              {"epochs_done", final_cps.empty() ? 0 : final_cps.back().epoch},
              {"best_epoch", best_epoch},
              {"metrics", last},
              {"checkpoint", final_cps.empty() ? "" : (fs::path(runs.runs_dir()) / final_cps.back().file).string()}};
}

// ---- evaluation ---------------------------------------------------------------------------

// Attributes: every head evaluated by the classify evaluator on the samples that carry its
// label; the predictions stored keep every head; the CSV has, per head, true_<set>,
// pred_<set>, p_<set>_<class>... (true_<set> empty where the sample has no such label).
Result<Json> evaluate_heads(const core::EvalRequest& req, core::RunStore& runs, const core::RunInfo& run,
                            const std::string& snapshot, const core::CheckpointInfo& cp, const std::vector<Head>& heads,
                            const std::vector<Item>& items, const std::vector<std::vector<double>>& probs,
                            const std::string& evaluator_id, core::PluginHost& host, std::uint64_t seed,
                            sdk::IProgress& progress) {
  auto evaluator = host.create<sdk::IEvaluator>(evaluator_id);
  if (!evaluator) return Status::invalid("evaluator " + evaluator_id + ": " + evaluator.status().message());
  const core::PluginRecord* erec = host.find(evaluator_id);
  // Per sample and head: the predicted class (first maximum of the head's probabilities).
  std::vector<std::vector<std::int64_t>> pred(items.size(), std::vector<std::int64_t>(heads.size(), 0));
  for (std::size_t i = 0; i < items.size(); ++i)
    for (std::size_t h = 0; h < heads.size(); ++h) {
      const auto first = probs[i].begin() + heads[h].offset;
      const auto last = first + static_cast<std::ptrdiff_t>(heads[h].classes.size());
      pred[i][h] = std::max_element(first, last) - first;
    }
  Json out = {{"task", "attributes"}, {"n", items.size()}, {"heads", Json::object()}};
  Json label_sets = Json::array();
  double acc_sum = 0, f1_sum = 0;
  int evaluated = 0;
  for (std::size_t h = 0; h < heads.size(); ++h) {
    label_sets.push_back(heads[h].set);
    sdk::EvalInput input;
    input.task = "classify";
    input.classes = heads[h].classes;
    input.seed = seed;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (items[i].heads[h] < 0) continue;
      sdk::Prediction p;
      p.sample_id = std::to_string(items[i].image);
      p.band = items[i].band;
      p.truth = items[i].heads[h];
      p.predicted = pred[i][h];
      const auto first = probs[i].begin() + heads[h].offset;
      p.probs.assign(first, first + static_cast<std::ptrdiff_t>(heads[h].classes.size()));
      input.predictions.push_back(std::move(p));
    }
    if (input.predictions.empty()) {  // nothing in this split carries the label: no numbers for it
      out["heads"][heads[h].set] = nullptr;
      out["unevaluated"][heads[h].set] = "no image of split '" + req.split + "' is labelled in '" + heads[h].set + "'";
      continue;
    }
    progress.message("evaluating head " + heads[h].set);
    auto m = evaluator.value()->evaluate(input, progress);
    if (!m) return Status::error("head '" + heads[h].set + "': " + m.status().message(), m.status().code());
    const Json& mm = m.value();
    if (mm.contains("metrics") && mm["metrics"].contains("accuracy") && mm["metrics"]["accuracy"]["value"].is_number() &&
        mm["metrics"].contains("f1_macro") && mm["metrics"]["f1_macro"]["value"].is_number()) {
      acc_sum += mm["metrics"]["accuracy"]["value"].get<double>();
      f1_sum += mm["metrics"]["f1_macro"]["value"].get<double>();
      ++evaluated;
    }
    out["heads"][heads[h].set] = mm;
  }
  out["label_sets"] = label_sets;
  // Headline: the heads' accuracies and macro F1 averaged (no interval: see each head's).
  out["metrics"] = Json::object();
  if (evaluated > 0) {
    out["metrics"]["accuracy_mean"] = {{"value", acc_sum / evaluated}, {"ci95", nullptr}};
    out["metrics"]["f1_macro_mean"] = {{"value", f1_sum / evaluated}, {"ci95", nullptr}};
  }

  std::vector<std::pair<std::int64_t, Json>> records;
  for (std::size_t i = 0; i < items.size(); ++i) {
    Json hj = Json::object();
    for (std::size_t h = 0; h < heads.size(); ++h) {
      const auto first = probs[i].begin() + heads[h].offset;
      const std::vector<double> p(first, first + static_cast<std::ptrdiff_t>(heads[h].classes.size()));
      hj[heads[h].set] = {
          {"truth", items[i].heads[h] >= 0 ? Json(heads[h].classes[static_cast<std::size_t>(items[i].heads[h])]) : Json()},
          {"predicted", heads[h].classes[static_cast<std::size_t>(pred[i][h])]},
          {"probs", p}};
    }
    records.push_back({items[i].image, {{"heads", hj}, {"band", items[i].band}}});
  }
  auto eval_id = runs.add_evaluation(run.name, snapshot, req.split, cp.id,
                                     evaluator_id + "@" + (erec ? erec->version : std::string("?")), out, records);
  if (!eval_id) return eval_id.status();

  if (!req.predictions_csv.empty()) {
    std::ofstream csv(req.predictions_csv);
    csv.precision(9);  // round-trips a float; probabilities to 1e-9
    csv << "sample";
    for (const auto& h : heads) {
      csv << ",true_" << h.set << ",pred_" << h.set;
      for (const auto& c : h.classes) csv << ",p_" << h.set << "_" << c;
    }
    csv << "\n";
    for (std::size_t i = 0; i < items.size(); ++i) {
      csv << items[i].image;
      for (std::size_t h = 0; h < heads.size(); ++h) {
        csv << ",";
        if (items[i].heads[h] >= 0) csv << heads[h].classes[static_cast<std::size_t>(items[i].heads[h])];
        csv << "," << heads[h].classes[static_cast<std::size_t>(pred[i][h])];
        for (std::size_t c = 0; c < heads[h].classes.size(); ++c)
          csv << "," << probs[i][static_cast<std::size_t>(heads[h].offset) + c];
      }
      csv << "\n";
    }
    if (!csv) return Status::io_error(req.predictions_csv + ": cannot write the predictions");
  }
  out["run"] = run.name;
  out["snapshot"] = snapshot;
  out["split"] = req.split;
  out["evaluation"] = eval_id.value();
  out["checkpoint_epoch"] = cp.epoch;
  return out;
}

Result<Json> run_evaluation(const core::EvalRequest& req, sdk::IProgress& progress) {
  auto project = core::Project::open(req.project, core::Project::Mode::kReadWrite);
  if (!project) return project.status();
  core::DataStore store(*project.value());
  core::RunStore runs(*project.value());
  auto run = runs.run(req.run);
  if (!run) return Status::invalid("no run '" + req.run + "' (see `kohl runs ls`)");
  const auto train_req = request_from_json(run->config, core::TrainRequest{});
  const std::string snapshot = req.snapshot.empty() ? run->snapshot : req.snapshot;
  const auto classes = run->config.value("classes", std::vector<std::string>{});
  auto cps = runs.checkpoints(run->name);
  if (cps.empty()) return Status::invalid(run->name + " has no checkpoint yet (train at least one epoch)");
  const core::CheckpointInfo* cp = &cps.back();
  if (req.epoch >= 0) {
    cp = nullptr;
    for (const auto& c : cps)
      if (c.epoch == req.epoch) cp = &c;
    if (!cp) return Status::invalid(run->name + " has no checkpoint of epoch " + std::to_string(req.epoch));
  }
  auto path = runs.verify_checkpoint(*cp);
  if (!path) return path.status();

  const bool regress = run->task == "recommend";
  const bool multi = run->task == "attributes";
  std::vector<Head> heads;
  std::string set_names;
  if (multi) {
    std::int64_t offset = 0;
    for (const auto& h : run->config.value("heads", Json::array())) {
      heads.push_back({h.value("label_set", ""), h.value("classes", std::vector<std::string>{}), offset, {}});
      offset += static_cast<std::int64_t>(heads.back().classes.size());
      set_names += (set_names.empty() ? "'" : ", '") + heads.back().set + "'";
    }
    if (heads.empty()) return Status::invalid(run->name + ": an attributes run without heads in its config");
  }
  std::size_t unlabelled = 0;
  PairSkips skips;
  auto items = regress ? recommend_items(store, snapshot, req.split, train_req.regions, train_req.targets, req.threads,
                                         skips)
               : multi ? attribute_items(store, snapshot, req.split, heads, unlabelled)
                       : items_for(store, snapshot, req.split, train_req.label_set, classes, unlabelled);
  if (!items) return items.status();
  if (items.value().empty())
    return Status::invalid("snapshot '" + snapshot + "' split '" + req.split + "' has no " +
                           (regress ? std::string("bare/made-up pairs with the run's regions") +
                                          (skips.first_reason.empty() ? "" : " (" + skips.first_reason + ")")
                            : multi ? "images labelled in any of " + set_names
                                    : "images labelled in '" + train_req.label_set + "'"));

  core::PluginHost host;
  host.load_dirs(core::PluginHost::default_search_dirs());
  torch::set_num_threads(std::max(1, req.threads));
  core::KeepFreedMemory keep_freed_memory;
  int outputs = static_cast<int>(regress ? 3 * classes.size() : classes.size());
  if (multi) {
    outputs = 0;
    for (const auto& h : heads) outputs += static_cast<int>(h.classes.size());
  }
  auto model = make_model(host, train_req.backbone, train_req.backbone_params, outputs, train_req.image_size,
                          train_req.seed, regress);
  if (!model) return model.status();
  auto& module = model.value().backbone->module();
  if (Status st = load_model_weights(module, path.value()); !st) return st;
  module.eval();
  c10::InferenceMode inference;

  sdk::EvalInput input;
  input.task = regress ? "recommend" : "classify";  // attributes: classify, once per head
  input.classes = classes;
  input.seed = train_req.seed;
  const std::string evaluator_id =
      !req.evaluator.empty() ? req.evaluator : regress ? "org.kohl.eval.recommend" : "org.kohl.eval.classify";
  auto evaluator = host.create<sdk::IEvaluator>(evaluator_id);
  if (!evaluator) return Status::invalid("evaluator " + evaluator_id + ": " + evaluator.status().message());
  const core::PluginRecord* erec = host.find(evaluator_id);

  progress.phase("predict " + run->name, static_cast<std::int64_t>(items.value().size()));
  std::vector<std::vector<double>> probs_of(items.value().size());
  std::vector<std::int64_t> pred_of(items.value().size());
  {
    Loader loader(items.value(), plan_epoch(items.value().size(), 32, 0, 0, false), train_req.image_size, req.threads,
                  4, 0, 0, {});
    Batch b;
    while (loader.next(b)) {
      if (!b.error.empty()) return Status::io_error(b.error);
      auto logits = model.value().backbone->forward(b.images);
      if (!logits.defined()) return Status::error(train_req.backbone + ": forward failed (its message is in the log)");
      torch::Tensor p;
      if (multi) {  // each head's softmax, side by side
        std::vector<torch::Tensor> parts;
        for (const auto& h : heads)
          parts.push_back(torch::softmax(logits.narrow(1, h.offset, static_cast<std::int64_t>(h.classes.size())), 1));
        p = torch::cat(parts, 1);
      } else {
        p = regress ? logits * kLabScale : torch::softmax(logits, 1);
      }
      p = p.to(torch::kFloat64).contiguous();
      const double* d = p.data_ptr<double>();
      const auto width = static_cast<std::size_t>(outputs);
      for (std::size_t i = 0; i < b.items.size(); ++i) {
        std::vector<double> row(d + i * width, d + (i + 1) * width);
        pred_of[b.items[i]] = regress || multi ? -1 : std::max_element(row.begin(), row.end()) - row.begin();
        probs_of[b.items[i]] = std::move(row);  // recommend: the predicted CIELAB values
      }
      progress.advance(static_cast<std::int64_t>(b.items.size()));
      if (progress.cancelled()) return Status::cancelled("evaluation cancelled");
    }
  }
  if (multi)
    return evaluate_heads(req, runs, *run, snapshot, *cp, heads, items.value(), probs_of, evaluator_id, host,
                          train_req.seed, progress);
  std::vector<std::pair<std::int64_t, Json>> records;
  for (std::size_t i = 0; i < items.value().size(); ++i) {
    const Item& it = items.value()[i];
    sdk::Prediction p;
    p.sample_id = std::to_string(it.image);
    p.band = it.band;
    if (regress) {
      p.values = probs_of[i];
      p.targets.assign(it.values.begin(), it.values.end());
      records.push_back({it.image, {{"targets", p.targets}, {"values", p.values}, {"band", it.band}}});
    } else {
      p.truth = it.target;
      p.predicted = pred_of[i];
      p.probs = probs_of[i];
      records.push_back({it.image, {{"truth", classes[static_cast<std::size_t>(it.target)]},
                                    {"predicted", classes[static_cast<std::size_t>(pred_of[i])]},
                                    {"probs", probs_of[i]},
                                    {"band", it.band}}});
    }
    input.predictions.push_back(p);
  }
  auto metrics = evaluator.value()->evaluate(input, progress);
  if (!metrics) return metrics.status();
  auto eval_id = runs.add_evaluation(run->name, snapshot, req.split, cp->id,
                                     evaluator_id + "@" + (erec ? erec->version : std::string("?")), metrics.value(),
                                     records);
  if (!eval_id) return eval_id.status();

  if (!req.predictions_csv.empty()) {
    std::ofstream csv(req.predictions_csv);
    csv.precision(9);  // round-trips a float; probabilities to 1e-9
    if (regress) {  // sample, then per region the reference and the predicted L*, a*, b*
      csv << "sample";
      for (const auto& r : classes)
        for (const char* c : {"L", "a", "b"}) csv << "," << r << "_true_" << c;
      for (const auto& r : classes)
        for (const char* c : {"L", "a", "b"}) csv << "," << r << "_pred_" << c;
      csv << "\n";
      for (std::size_t i = 0; i < items.value().size(); ++i) {
        csv << items.value()[i].image;
        for (float v : items.value()[i].values) csv << "," << v;
        for (double v : probs_of[i]) csv << "," << v;
        csv << "\n";
      }
    } else {
      csv << "sample,true,pred";
      for (const auto& c : classes) csv << ",p_" << c;
      csv << "\n";
      for (std::size_t i = 0; i < items.value().size(); ++i) {
        const Item& it = items.value()[i];
        csv << it.image << "," << classes[static_cast<std::size_t>(it.target)] << ","
            << classes[static_cast<std::size_t>(pred_of[i])];
        for (double p : probs_of[i]) csv << "," << p;
        csv << "\n";
      }
    }
    if (!csv) return Status::io_error(req.predictions_csv + ": cannot write the predictions");
  }
  Json out = metrics.value();
  out["run"] = run->name;
  out["snapshot"] = snapshot;
  out["split"] = req.split;
  out["evaluation"] = eval_id.value();
  out["checkpoint_epoch"] = cp->epoch;
  return out;
}

}  // namespace

}  // namespace kohl::train

// Entry points for kohl/core/train_api.cpp (dlsym by name). Exceptions never cross them.
extern "C" __attribute__((visibility("default"))) void kohl_train_run(const kohl::core::TrainRequest* request,
                                                                      kohl::sdk::IProgress* progress,
                                                                      kohl::sdk::Result<kohl::sdk::Json>* out) {
  try {
    *out = kohl::train::run_training(*request, *progress);
  } catch (const std::exception& e) {
    *out = kohl::sdk::Status::error(std::string("training failed: ") + e.what());
  }
}

extern "C" __attribute__((visibility("default"))) void kohl_train_evaluate(const kohl::core::EvalRequest* request,
                                                                           kohl::sdk::IProgress* progress,
                                                                           kohl::sdk::Result<kohl::sdk::Json>* out) {
  try {
    *out = kohl::train::run_evaluation(*request, *progress);
  } catch (const std::exception& e) {
    *out = kohl::sdk::Status::error(std::string("evaluation failed: ") + e.what());
  }
}

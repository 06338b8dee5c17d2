// IBackbone: a network the host trains. Includes LibTorch: only backbones and exporters
// pull it in, so other plugins compile fast.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kohl/sdk/graph.hpp"
#include "kohl/sdk/plugin.hpp"
#include "kohl/sdk/progress.hpp"
#include "kohl/sdk/sample.hpp"

namespace kohl::sdk {

enum class HeadKind : std::uint32_t { kClassify = 0, kRegress = 1 };

struct BackboneConfig {
  std::int64_t in_channels = 3;
  std::int64_t height = 128;
  std::int64_t width = 128;
  std::int64_t num_outputs = 1;  // classes, or regression targets
  HeadKind head = HeadKind::kClassify;
};

struct TrainBatch {
  torch::Tensor images;   // N,C,H,W float, normalised as the run's preprocessing says
  torch::Tensor targets;  // N (class index, int64) or N,T (regression, float)
  std::vector<const Sample*> samples;  // the annotations, for losses that need masks etc.
};

struct TrainStepConfig {
  std::string optimizer = "adam";  // "sgd" | "adam" | "adamw"
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
  torch::Device device = torch::kCPU;
};

// For models that own their training math (a makeup-transfer GAN with a generator, a
// discriminator and two optimizers). The host still owns the loop, data loading, device,
// checkpoints, progress and cancellation; step() does one optimisation step.
class ITrainStep {
 public:
  virtual ~ITrainStep() = default;
  virtual Status setup(const TrainStepConfig& config) = 0;
  // Returns the named losses of this step ("loss_g", "loss_d", ...).
  virtual Result<std::map<std::string, double>> step(const TrainBatch& batch) = 0;
  // Extra state (optimizers, second networks) for checkpoints.
  virtual Status save(torch::serialize::OutputArchive& archive) const = 0;
  virtual Status load(torch::serialize::InputArchive& archive) = 0;
};

class IBackbone : public IPlugin {
 public:
  // Builds the network for this input and head. Called once before module()/forward().
  virtual Status build(const BackboneConfig& config) = 0;
  // The network: the host moves it to the device, trains its parameters with the run's
  // optimizer (unless train_step() is set) and saves it in checkpoints.
  virtual torch::nn::Module& module() = 0;
  // N,C,H,W -> N,num_outputs (logits or regression values).
  virtual torch::Tensor forward(const torch::Tensor& input) = 0;
  // The network as standard layers (kCapGraph); exporters walk it.
  virtual Result<NetGraph> graph() const { return Status::unsupported("this backbone does not describe its graph"); }
  // Non-null when the backbone owns its per-step math (kCapTrainStep).
  virtual ITrainStep* train_step() { return nullptr; }
};

}  // namespace kohl::sdk

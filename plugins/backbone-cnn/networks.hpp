// The three networks of backbone-cnn and how each describes itself as a NetGraph.
//
// Every network is a torch::nn::Module whose forward() is plain LibTorch (standard
// Conv2d/BatchNorm2d/Linear modules, in-place activations) and whose describe() writes the
// same computation as LayerNodes. Node attributes are read back from the modules' options
// and tensor names are the modules' registered paths, so the graph cannot drift from what
// forward() runs; tests/plugins/backbone_cnn.test.cpp recomputes the graph to check it.
//
// Module paths follow torchvision's (conv1/bn1/layer1.0.conv1/fc for ResNet,
// features.N.conv.M/classifier.1 for MobileNetV2): checkpoints and exports are then
// recognisable next to the Python networks they are compared with.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kohl/sdk/graph.hpp"

namespace kohl::backbone_cnn {

// Appends LayerNodes; attributes come from the modules themselves.
class GraphWriter {
 public:
  explicit GraphWriter(sdk::NetGraph& graph) : graph_(graph) {}

  // Each returns the new node's name (the module path for layers with parameters).
  std::string conv(const std::string& path, const std::string& in, const torch::nn::Conv2d& m);
  std::string batch_norm(const std::string& path, const std::string& in, const torch::nn::BatchNorm2d& m);
  std::string linear(const std::string& path, const std::string& in, const torch::nn::Linear& m);
  std::string max_pool(const std::string& name, const std::string& in, const torch::nn::MaxPool2d& m);
  std::string dropout(const std::string& name, const std::string& in, const torch::nn::Dropout& m);
  std::string relu(const std::string& name, const std::string& in);
  std::string relu6(const std::string& name, const std::string& in);
  std::string global_avg_pool(const std::string& name, const std::string& in);
  std::string flatten(const std::string& name, const std::string& in);
  std::string add(const std::string& name, const std::vector<std::string>& inputs);

 private:
  std::string push(sdk::LayerNode node);
  sdk::NetGraph& graph_;
};

// What the plugin object holds: a module that runs and describes itself.
class Network : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // Appends this network's nodes after `input`; returns the output node's name.
  virtual std::string describe(GraphWriter& g, const std::string& input) const = 0;
};

// Torchvision's _make_divisible: the nearest multiple of `divisor`, never under `divisor`
// and never more than 10% below v. MobileNetV2 rounds its widths this way; ResNet's width
// multiplier uses it too so every layer keeps SIMD- and channels-last-friendly widths.
std::int64_t make_divisible(double v, std::int64_t divisor = 8);

struct SmallCnnOptions {
  std::int64_t in_channels = 3;
  std::int64_t num_outputs = 1;
  std::int64_t base_width = 32;  // block i has base_width << i channels
  std::int64_t blocks = 3;
  std::int64_t hidden_units = 128;  // 0: no hidden dense layer
  double dropout = 0.3;
};

struct ResNetOptions {
  std::int64_t in_channels = 3;
  std::int64_t num_outputs = 1;
  double width = 1.0;        // multiplies 64, 128, 256, 512
  bool small_input = false;  // conv3x3/1 stem without max-pool (64-128 px inputs)
  double dropout = 0.2;
};

struct MobileNetV2Options {
  std::int64_t in_channels = 3;
  std::int64_t num_outputs = 1;
  double width_multiplier = 1.0;
  double dropout = 0.2;
};

// Build and initialise (Kaiming for convolutions, as torchvision) with the global torch
// generator: torch::manual_seed before these gives the same weights every time.
std::shared_ptr<Network> make_small_cnn(const SmallCnnOptions& o);
std::shared_ptr<Network> make_resnet18(const ResNetOptions& o);
std::shared_ptr<Network> make_mobilenet_v2(const MobileNetV2Options& o);

}  // namespace kohl::backbone_cnn

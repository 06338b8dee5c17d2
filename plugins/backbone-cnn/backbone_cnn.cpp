// backbone-cnn: the CNN backbones the host trains.
//   org.kohl.backbone.small_cnn      conv-BN-ReLU-maxpool blocks, global average pool, dense head
//   org.kohl.backbone.resnet18       ResNet-18 (BasicBlock x [2, 2, 2, 2]) with a width multiplier
//   org.kohl.backbone.mobilenet_v2   MobileNetV2 (inverted residuals, ReLU6) with a width multiplier
// All three describe themselves as a NetGraph (kCapGraph) for the exporters. Creating an
// object only reads its parameters; build() makes the network.
#include <algorithm>
#include <exception>
#include <memory>
#include <string>

#include "kohl/sdk/backbone.hpp"
#include "kohl/sdk/plugin.hpp"
#include "networks.hpp"

namespace {

using namespace kohl::sdk;
namespace bc = kohl::backbone_cnn;

enum class Arch { kSmallCnn, kResNet18, kMobileNetV2 };

const char* arch_id(Arch a) {
  switch (a) {
    case Arch::kSmallCnn: return "org.kohl.backbone.small_cnn";
    case Arch::kResNet18: return "org.kohl.backbone.resnet18";
    case Arch::kMobileNetV2: return "org.kohl.backbone.mobilenet_v2";
  }
  return "org.kohl.backbone.unknown";
}

std::string shape_string(const torch::Tensor& t) {
  std::string s = "[";
  for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

class CnnBackbone final : public IBackbone {
 public:
  CnnBackbone(Arch arch, const ParamValues& params, IHostServices& host)
      : arch_(arch), params_(params), host_(&host), empty_(std::make_shared<torch::nn::Module>()) {}

  Status build(const BackboneConfig& c) override {
    const std::string id = arch_id(arch_);
    if (c.in_channels < 1)
      return Status::invalid(id + ": in_channels must be at least 1, got " + std::to_string(c.in_channels));
    if (c.num_outputs < 1)
      return Status::invalid(id + ": num_outputs must be at least 1 (classes or regression targets), got " +
                             std::to_string(c.num_outputs));
    if (c.head != HeadKind::kClassify && c.head != HeadKind::kRegress)
      return Status::invalid(id + ": unknown head kind " + std::to_string(static_cast<std::uint32_t>(c.head)));
    const std::int64_t min_side = min_input_size();
    if (c.height < min_side || c.width < min_side)
      return Status::invalid(id + ": input " + std::to_string(c.width) + "x" + std::to_string(c.height) +
                             " is smaller than this network's total stride (" + std::to_string(min_side) +
                             " px)" + (arch_ == Arch::kResNet18 ? "; small_input=true needs only 8 px" : ""));
    try {
      net_ = make_network(c);
      config_ = c;
      return Status::ok();
    } catch (const std::exception& e) {
      net_.reset();
      return Status::error(id + ": building the network failed: " + e.what());
    }
  }

  torch::nn::Module& module() override { return net_ ? static_cast<torch::nn::Module&>(*net_) : *empty_; }

  // Never throws (the SDK's rule at the plugin boundary): a bad input or a LibTorch error
  // is logged and an undefined tensor comes back, which the caller must check.
  torch::Tensor forward(const torch::Tensor& input) override {
    if (!net_) return fail("forward() called before build()");
    if (!input.defined()) return fail("forward() got an undefined tensor");
    if (input.dim() != 4 || input.size(1) != config_.in_channels)
      return fail("expected an N," + std::to_string(config_.in_channels) + ",H,W tensor, got " + shape_string(input));
    try {
      return net_->forward(input);
    } catch (const std::exception& e) {
      return fail(std::string("forward failed: ") + e.what());
    }
  }

  Result<NetGraph> graph() const override {
    if (!net_) return Status::error(std::string(arch_id(arch_)) + ": graph() called before build()");
    try {
      NetGraph g;
      g.input_shape = {config_.in_channels, config_.height, config_.width};
      bc::GraphWriter writer(g);
      g.outputs = {net_->describe(writer, g.input)};
      return g;
    } catch (const std::exception& e) {
      return Status::error(std::string(arch_id(arch_)) + ": describing the network failed: " + e.what());
    }
  }

 private:
  std::int64_t min_input_size() const {
    switch (arch_) {
      case Arch::kSmallCnn: return std::int64_t{1} << param_int(params_, "blocks", 3);
      case Arch::kResNet18: return param_bool(params_, "small_input", false) ? 8 : 32;
      case Arch::kMobileNetV2: return 32;
    }
    return 1;
  }

  std::shared_ptr<bc::Network> make_network(const BackboneConfig& c) const {
    // HeadKind changes nothing in the layers: both heads are one linear layer with
    // num_outputs units (logits, or regression values); the host picks the loss.
    switch (arch_) {
      case Arch::kSmallCnn: {
        bc::SmallCnnOptions o;
        o.in_channels = c.in_channels;
        o.num_outputs = c.num_outputs;
        o.base_width = param_int(params_, "base_width", o.base_width);
        o.blocks = param_int(params_, "blocks", o.blocks);
        o.hidden_units = param_int(params_, "hidden_units", o.hidden_units);
        o.dropout = param_float(params_, "dropout", o.dropout);
        return bc::make_small_cnn(o);
      }
      case Arch::kResNet18: {
        bc::ResNetOptions o;
        o.in_channels = c.in_channels;
        o.num_outputs = c.num_outputs;
        o.width = param_float(params_, "width", o.width);
        o.small_input = param_bool(params_, "small_input", o.small_input);
        o.dropout = param_float(params_, "dropout", o.dropout);
        return bc::make_resnet18(o);
      }
      case Arch::kMobileNetV2: {
        bc::MobileNetV2Options o;
        o.in_channels = c.in_channels;
        o.num_outputs = c.num_outputs;
        o.width_multiplier = param_float(params_, "width_multiplier", o.width_multiplier);
        o.dropout = param_float(params_, "dropout", o.dropout);
        return bc::make_mobilenet_v2(o);
      }
    }
    throw std::logic_error("unknown architecture");
  }

  torch::Tensor fail(const std::string& message) {
    host_->log(LogLevel::kError, message);
    return {};
  }

  Arch arch_;
  ParamValues params_;
  IHostServices* host_;  // outlives this object (IHostServices' contract)
  BackboneConfig config_;
  std::shared_ptr<bc::Network> net_;
  std::shared_ptr<torch::nn::Module> empty_;  // what module() returns before build()
};

template <Arch A>
Result<IPlugin*> create_backbone(const ParamValues& params, IHostServices& host) {
  try {
    return static_cast<IPlugin*>(new CnnBackbone(A, params, host));
  } catch (const std::exception& e) {
    return Status::error(e.what());
  }
}

void add_dropout(ParamSchema& s, double def) {
  s.add_float("dropout", "Dropout", def, 0.0, 0.9)
      .step(0.05)
      .group("Regularisation")
      .help("Probability of zeroing each pooled feature before the output layer while training (0 = off)");
}

PluginDescriptor base_descriptor(Arch arch) {
  PluginDescriptor d;
  d.kind = PluginKind::kBackbone;
  d.id = arch_id(arch);
  d.version = "1.0.0";
  d.license_notes =
      "Apache-2.0 (part of Kohl). Architectures after the published papers; no pretrained weights, "
      "no training data: every network starts from a seeded random initialisation.";
  d.capabilities = kCapGraph | kCapCuda;
  d.destroy = &destroy_plugin;
  return d;
}

Status register_plugins(IRegistrar& r) {
  {
    PluginDescriptor d = base_descriptor(Arch::kSmallCnn);
    d.name = "Small CNN";
    d.summary =
        "conv3x3-BN-ReLU-maxpool blocks doubling in width, global average pooling, an optional hidden dense "
        "layer, dropout and a linear head (classes or regression targets).";
    d.schema.add_int("base_width", "Base width", 32, 4, 128)
        .step(4)
        .group("Architecture")
        .help("Channels of the first block; each following block doubles them (32 with 3 blocks: 32, 64, 128)");
    d.schema.add_int("blocks", "Blocks", 3, 1, 5)
        .group("Architecture")
        .help("Number of conv-BN-ReLU-maxpool blocks; each halves the resolution, so inputs need at least 2^blocks px");
    d.schema.add_int("hidden_units", "Hidden units", 128, 0, 2048)
        .step(16)
        .group("Architecture")
        .help("Width of the ReLU dense layer between the pooled features and the output layer (0 = none)");
    add_dropout(d.schema, 0.3);
    d.create = &create_backbone<Arch::kSmallCnn>;
    if (Status s = r.add(d); !s) return s;
  }
  {
    PluginDescriptor d = base_descriptor(Arch::kResNet18);
    d.name = "ResNet-18";
    d.summary =
        "ResNet-18 (He et al. 2016, torchvision's layout: BasicBlock x [2, 2, 2, 2]) with a width multiplier, "
        "an optional small-input stem, dropout and a linear head.";
    d.schema.add_float("width", "Width multiplier", 1.0, 0.125, 2.0)
        .step(0.125)
        .group("Architecture")
        .help("Scales the stage widths 64, 128, 256, 512, rounded to multiples of 8 (0.25 gives 16, 32, 64, 128)");
    d.schema.add_bool("small_input", "Small-input stem", false)
        .group("Architecture")
        .help("Stem of one 3x3 stride-1 convolution without max-pooling, for 64-128 px inputs, instead of "
              "7x7 stride 2 and a max-pool");
    add_dropout(d.schema, 0.2);
    d.create = &create_backbone<Arch::kResNet18>;
    if (Status s = r.add(d); !s) return s;
  }
  {
    PluginDescriptor d = base_descriptor(Arch::kMobileNetV2);
    d.name = "MobileNetV2";
    d.summary =
        "MobileNetV2 (Sandler et al. 2018, torchvision's layout): inverted residuals with expansion 6, "
        "depthwise 3x3 convolutions, ReLU6 and linear bottlenecks, with a width multiplier and a linear head.";
    d.schema.add_float("width_multiplier", "Width multiplier", 1.0, 0.35, 1.4)
        .step(0.05)
        .group("Architecture")
        .help("Scales every layer's channels, rounded to multiples of 8 as in the paper; the last 1x1 layer keeps "
              "1280 channels below 1.0");
    add_dropout(d.schema, 0.2);
    d.create = &create_backbone<Arch::kMobileNetV2>;
    if (Status s = r.add(d); !s) return s;
  }
  return Status::ok();
}

}  // namespace

KOHL_PLUGIN(register_plugins)

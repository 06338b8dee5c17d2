// The three networks. Forward passes use in-place ReLU/ReLU6 and in-place residual adds
// where autograd allows it (BatchNorm's backward needs its input, not its output), as
// torchvision does: fewer temporaries per step.
#include "networks.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace kohl::backbone_cnn {

namespace nn = torch::nn;
using sdk::Json;
using sdk::LayerNode;
using sdk::LayerOp;

namespace {

Json pair_json(const torch::ExpandingArray<2>& a) { return Json::array({(*a)[0], (*a)[1]}); }

// Kaiming-normal, fan-out, ReLU gain for every convolution (torchvision's ResNet and
// MobileNetV2 initialisation); BatchNorm keeps its ones/zeros; linear layers are left to the
// caller, because the two torchvision networks differ there.
void init_convs(nn::Module& root) {
  torch::NoGradGuard no_grad;
  for (const auto& m : root.modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    }
  }
}

// In-place activations on a temporary (torch::relu_ takes an lvalue).
torch::Tensor relu_inplace(torch::Tensor x) {
  torch::relu_(x);
  return x;
}
torch::Tensor relu6_inplace(torch::Tensor x) {
  torch::hardtanh_(x, 0.0, 6.0);
  return x;
}

nn::Conv2d conv2d(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride = 1,
                  std::int64_t groups = 1) {
  // No bias: every convolution here feeds a BatchNorm, whose shift makes a bias redundant.
  return nn::Conv2d(
      nn::Conv2dOptions(in, out, kernel).stride(stride).padding((kernel - 1) / 2).groups(groups).bias(false));
}

}  // namespace

std::int64_t make_divisible(double v, std::int64_t divisor) {
  auto rounded = static_cast<std::int64_t>(v + static_cast<double>(divisor) / 2.0) / divisor * divisor;
  std::int64_t out = std::max(divisor, rounded);
  if (static_cast<double>(out) < 0.9 * v) out += divisor;
  return out;
}

// ---- GraphWriter ------------------------------------------------------------------------

std::string GraphWriter::push(LayerNode node) {
  std::string name = node.name;
  graph_.nodes.push_back(std::move(node));
  return name;
}

std::string GraphWriter::conv(const std::string& path, const std::string& in, const nn::Conv2d& m) {
  const auto& o = m->options;
  const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (padding == nullptr) throw std::logic_error(path + ": 'same'/'valid' padding is not described");
  if ((*o.dilation())[0] != 1 || (*o.dilation())[1] != 1)
    throw std::logic_error(path + ": dilated convolutions are not described");
  LayerNode n{path, LayerOp::kConv2d, {in}, Json::object(), {{"weight", path + ".weight"}}};
  n.attrs = {{"in", o.in_channels()},
             {"out", o.out_channels()},
             {"kernel", pair_json(o.kernel_size())},
             {"stride", pair_json(o.stride())},
             {"padding", pair_json(*padding)},
             {"groups", o.groups()},
             {"bias", o.bias()}};
  if (o.bias()) n.tensors["bias"] = path + ".bias";
  return push(std::move(n));
}

std::string GraphWriter::batch_norm(const std::string& path, const std::string& in, const nn::BatchNorm2d& m) {
  const auto& o = m->options;
  LayerNode n{path, LayerOp::kBatchNorm2d, {in}, Json::object(),
              {{"weight", path + ".weight"},
               {"bias", path + ".bias"},
               {"running_mean", path + ".running_mean"},
               {"running_var", path + ".running_var"}}};
  n.attrs = {{"features", o.num_features()}, {"eps", o.eps()}, {"momentum", o.momentum().value_or(0.0)}};
  return push(std::move(n));
}

std::string GraphWriter::linear(const std::string& path, const std::string& in, const nn::Linear& m) {
  const auto& o = m->options;
  LayerNode n{path, LayerOp::kLinear, {in}, Json::object(), {{"weight", path + ".weight"}}};
  n.attrs = {{"in", o.in_features()}, {"out", o.out_features()}, {"bias", o.bias()}};
  if (o.bias()) n.tensors["bias"] = path + ".bias";
  return push(std::move(n));
}

std::string GraphWriter::max_pool(const std::string& name, const std::string& in, const nn::MaxPool2d& m) {
  const auto& o = m->options;
  if (o.ceil_mode() || (*o.dilation())[0] != 1 || (*o.dilation())[1] != 1)
    throw std::logic_error(name + ": ceil-mode or dilated max-pooling is not described");
  LayerNode n{name, LayerOp::kMaxPool2d, {in}, Json::object(), {}};
  n.attrs = {{"kernel", pair_json(o.kernel_size())}, {"stride", pair_json(o.stride())},
             {"padding", pair_json(o.padding())}};
  return push(std::move(n));
}

std::string GraphWriter::dropout(const std::string& name, const std::string& in, const nn::Dropout& m) {
  return push({name, LayerOp::kDropout, {in}, {{"p", m->options.p()}}, {}});
}

std::string GraphWriter::relu(const std::string& name, const std::string& in) {
  return push({name, LayerOp::kReLU, {in}, Json::object(), {}});
}

std::string GraphWriter::relu6(const std::string& name, const std::string& in) {
  return push({name, LayerOp::kReLU6, {in}, Json::object(), {}});
}

std::string GraphWriter::global_avg_pool(const std::string& name, const std::string& in) {
  return push({name, LayerOp::kGlobalAvgPool, {in}, Json::object(), {}});
}

std::string GraphWriter::flatten(const std::string& name, const std::string& in) {
  return push({name, LayerOp::kFlatten, {in}, Json::object(), {}});
}

std::string GraphWriter::add(const std::string& name, const std::vector<std::string>& inputs) {
  return push({name, LayerOp::kAdd, inputs, Json::object(), {}});
}

namespace {

// ---- Small CNN ----------------------------------------------------------------------------
// features.i = conv3x3 - BN - ReLU - maxpool2x2, widths base << i; then global average pool,
// an optional hidden dense layer with ReLU, dropout and the output layer.

class SmallCnnBlock final : public nn::Module {
 public:
  SmallCnnBlock(std::int64_t in, std::int64_t out)
      : conv_(register_module("conv", conv2d(in, out, 3))),
        bn_(register_module("bn", nn::BatchNorm2d(out))),
        pool_(register_module("pool", nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)))) {}

  torch::Tensor forward(const torch::Tensor& x) { return pool_(relu_inplace(bn_(conv_(x)))); }

  std::string describe(GraphWriter& g, const std::string& path, const std::string& in) const {
    auto y = g.conv(path + ".conv", in, conv_);
    y = g.batch_norm(path + ".bn", y, bn_);
    y = g.relu(path + ".relu", y);
    return g.max_pool(path + ".pool", y, pool_);
  }

 private:
  nn::Conv2d conv_;
  nn::BatchNorm2d bn_;
  nn::MaxPool2d pool_;
};

class SmallCnn final : public Network {
 public:
  explicit SmallCnn(const SmallCnnOptions& o) {
    auto features = register_module("features", std::make_shared<nn::Module>());
    std::int64_t in = o.in_channels;
    for (std::int64_t i = 0; i < o.blocks; ++i) {
      const std::int64_t out = o.base_width << i;
      blocks_.push_back(features->register_module(std::to_string(i), std::make_shared<SmallCnnBlock>(in, out)));
      in = out;
    }
    if (o.hidden_units > 0) {
      hidden_ = register_module("hidden", nn::Linear(in, o.hidden_units));
      in = o.hidden_units;
    }
    dropout_ = register_module("dropout", nn::Dropout(o.dropout));
    fc_ = register_module("fc", nn::Linear(in, o.num_outputs));
    init_convs(*this);
  }

  torch::Tensor forward(const torch::Tensor& input) override {
    torch::Tensor x = input;
    for (const auto& b : blocks_) x = b->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    if (!hidden_.is_empty()) x = relu_inplace(hidden_(x));
    return fc_(dropout_(x));
  }

  std::string describe(GraphWriter& g, const std::string& input) const override {
    std::string y = input;
    for (std::size_t i = 0; i < blocks_.size(); ++i) y = blocks_[i]->describe(g, "features." + std::to_string(i), y);
    y = g.flatten("flatten", g.global_avg_pool("avgpool", y));
    if (!hidden_.is_empty()) y = g.relu("hidden_relu", g.linear("hidden", y, hidden_));
    return g.linear("fc", g.dropout("dropout", y, dropout_), fc_);
  }

 private:
  std::vector<std::shared_ptr<SmallCnnBlock>> blocks_;
  nn::Linear hidden_{nullptr};
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
};

// ---- ResNet-18 ----------------------------------------------------------------------------
// He et al. 2016, torchvision's resnet18 layout (BasicBlock x [2, 2, 2, 2]), with a width
// multiplier, an optional small-input stem and dropout before fc.

class BasicBlock final : public nn::Module {
 public:
  BasicBlock(std::int64_t in, std::int64_t out, std::int64_t stride)
      : conv1_(register_module("conv1", conv2d(in, out, 3, stride))),
        bn1_(register_module("bn1", nn::BatchNorm2d(out))),
        conv2_(register_module("conv2", conv2d(out, out, 3))),
        bn2_(register_module("bn2", nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      // torchvision's downsample Sequential: children "0" (1x1 conv) and "1" (BN).
      auto ds = register_module("downsample", std::make_shared<nn::Module>());
      ds_conv_ = ds->register_module("0", conv2d(in, out, 1, stride));
      ds_bn_ = ds->register_module("1", nn::BatchNorm2d(out));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = relu_inplace(bn1_(conv1_(x)));
    y = bn2_(conv2_(y));
    // y is bn2's output, which nothing else holds: adding into it is safe under autograd.
    y.add_(ds_conv_.is_empty() ? x : ds_bn_(ds_conv_(x)));
    return relu_inplace(std::move(y));
  }

  std::string describe(GraphWriter& g, const std::string& path, const std::string& in) const {
    auto y = g.relu(path + ".relu1", g.batch_norm(path + ".bn1", g.conv(path + ".conv1", in, conv1_), bn1_));
    y = g.batch_norm(path + ".bn2", g.conv(path + ".conv2", y, conv2_), bn2_);
    std::string shortcut = in;
    if (!ds_conv_.is_empty())
      shortcut = g.batch_norm(path + ".downsample.1", g.conv(path + ".downsample.0", in, ds_conv_), ds_bn_);
    return g.relu(path + ".relu2", g.add(path + ".add", {y, shortcut}));
  }

 private:
  nn::Conv2d conv1_;
  nn::BatchNorm2d bn1_;
  nn::Conv2d conv2_;
  nn::BatchNorm2d bn2_;
  nn::Conv2d ds_conv_{nullptr};
  nn::BatchNorm2d ds_bn_{nullptr};
};

class ResNet18 final : public Network {
 public:
  explicit ResNet18(const ResNetOptions& o) {
    const std::int64_t base[4] = {64, 128, 256, 512};
    std::int64_t widths[4];
    for (int i = 0; i < 4; ++i) widths[i] = make_divisible(static_cast<double>(base[i]) * o.width);
    conv1_ = register_module("conv1", o.small_input ? conv2d(o.in_channels, widths[0], 3, 1)
                                                    : conv2d(o.in_channels, widths[0], 7, 2));
    bn1_ = register_module("bn1", nn::BatchNorm2d(widths[0]));
    if (!o.small_input)
      maxpool_ = register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
    std::int64_t in = widths[0];
    for (int stage = 0; stage < 4; ++stage) {
      auto layer = register_module("layer" + std::to_string(stage + 1), std::make_shared<nn::Module>());
      for (int j = 0; j < 2; ++j) {
        const std::int64_t stride = (stage > 0 && j == 0) ? 2 : 1;
        blocks_.push_back(
            layer->register_module(std::to_string(j), std::make_shared<BasicBlock>(in, widths[stage], stride)));
        in = widths[stage];
      }
    }
    dropout_ = register_module("dropout", nn::Dropout(o.dropout));
    fc_ = register_module("fc", nn::Linear(in, o.num_outputs));  // PyTorch's default init, as torchvision
    init_convs(*this);
  }

  torch::Tensor forward(const torch::Tensor& input) override {
    auto x = relu_inplace(bn1_(conv1_(input)));
    if (!maxpool_.is_empty()) x = maxpool_(x);
    for (const auto& b : blocks_) x = b->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc_(dropout_(x));
  }

  std::string describe(GraphWriter& g, const std::string& input) const override {
    auto y = g.relu("relu", g.batch_norm("bn1", g.conv("conv1", input, conv1_), bn1_));
    if (!maxpool_.is_empty()) y = g.max_pool("maxpool", y, maxpool_);
    for (std::size_t i = 0; i < blocks_.size(); ++i)
      y = blocks_[i]->describe(g, "layer" + std::to_string(i / 2 + 1) + "." + std::to_string(i % 2), y);
    y = g.flatten("flatten", g.global_avg_pool("avgpool", y));
    return g.linear("fc", g.dropout("dropout", y, dropout_), fc_);
  }

 private:
  nn::Conv2d conv1_{nullptr};
  nn::BatchNorm2d bn1_{nullptr};
  nn::MaxPool2d maxpool_{nullptr};
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
};

// ---- MobileNetV2 --------------------------------------------------------------------------
// Sandler et al. 2018, torchvision's mobilenet_v2 layout: inverted residuals (expansion 6,
// depthwise 3x3 as groups = channels, linear bottleneck), ReLU6, widths rounded to 8.

// torchvision's Conv2dNormActivation: children "0" (conv) and "1" (BN); ReLU6 is "2".
class ConvBnRelu6 final : public nn::Module {
 public:
  ConvBnRelu6(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride, std::int64_t groups = 1)
      : conv_(register_module("0", conv2d(in, out, kernel, stride, groups))),
        bn_(register_module("1", nn::BatchNorm2d(out))) {}

  torch::Tensor forward(const torch::Tensor& x) { return relu6_inplace(bn_(conv_(x))); }

  std::string describe(GraphWriter& g, const std::string& path, const std::string& in) const {
    return g.relu6(path + ".2", g.batch_norm(path + ".1", g.conv(path + ".0", in, conv_), bn_));
  }

 private:
  nn::Conv2d conv_;
  nn::BatchNorm2d bn_;
};

class InvertedResidual final : public nn::Module {
 public:
  InvertedResidual(std::int64_t in, std::int64_t out, std::int64_t stride, std::int64_t expand)
      : residual_(stride == 1 && in == out) {
    const auto hidden = static_cast<std::int64_t>(std::llround(static_cast<double>(in * expand)));
    auto seq = register_module("conv", std::make_shared<nn::Module>());
    int index = 0;
    auto next = [&index] { return std::to_string(index++); };
    if (expand != 1) expand_ = seq->register_module(next(), std::make_shared<ConvBnRelu6>(in, hidden, 1, 1));
    depthwise_ = seq->register_module(next(), std::make_shared<ConvBnRelu6>(hidden, hidden, 3, stride, hidden));
    project_ = seq->register_module(next(), conv2d(hidden, out, 1));
    project_bn_ = seq->register_module(next(), nn::BatchNorm2d(out));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto y = depthwise_->forward(expand_ ? expand_->forward(x) : x);
    y = project_bn_(project_(y));
    if (residual_) y.add_(x);  // y is the last BN's own output
    return y;
  }

  std::string describe(GraphWriter& g, const std::string& path, const std::string& in) const {
    int index = 0;
    auto next = [&] { return path + ".conv." + std::to_string(index++); };
    std::string y = in;
    if (expand_) y = expand_->describe(g, next(), y);
    y = depthwise_->describe(g, next(), y);
    y = g.conv(next(), y, project_);
    y = g.batch_norm(next(), y, project_bn_);
    return residual_ ? g.add(path + ".add", {y, in}) : y;
  }

 private:
  bool residual_;
  std::shared_ptr<ConvBnRelu6> expand_;
  std::shared_ptr<ConvBnRelu6> depthwise_;
  nn::Conv2d project_{nullptr};
  nn::BatchNorm2d project_bn_{nullptr};
};

class MobileNetV2 final : public Network {
 public:
  explicit MobileNetV2(const MobileNetV2Options& o) {
    // t (expansion), c (channels), n (repeats), s (first stride): the paper's Table 2.
    const std::int64_t settings[7][4] = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                         {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    const double w = o.width_multiplier;
    std::int64_t in = make_divisible(32.0 * w);
    const std::int64_t last = make_divisible(1280.0 * std::max(1.0, w));
    auto features = register_module("features", std::make_shared<nn::Module>());
    int index = 0;
    stem_ = features->register_module(std::to_string(index++), std::make_shared<ConvBnRelu6>(o.in_channels, in, 3, 2));
    for (const auto& s : settings) {
      const std::int64_t out = make_divisible(static_cast<double>(s[1]) * w);
      for (std::int64_t i = 0; i < s[2]; ++i) {
        blocks_.push_back(features->register_module(
            std::to_string(index++), std::make_shared<InvertedResidual>(in, out, i == 0 ? s[3] : 1, s[0])));
        in = out;
      }
    }
    head_conv_ = features->register_module(std::to_string(index), std::make_shared<ConvBnRelu6>(in, last, 1, 1));
    // torchvision's classifier Sequential: "0" dropout, "1" linear.
    auto classifier = register_module("classifier", std::make_shared<nn::Module>());
    dropout_ = classifier->register_module("0", nn::Dropout(o.dropout));
    fc_ = classifier->register_module("1", nn::Linear(last, o.num_outputs));
    init_convs(*this);
    torch::NoGradGuard no_grad;
    nn::init::normal_(fc_->weight, 0.0, 0.01);
    nn::init::zeros_(fc_->bias);
  }

  torch::Tensor forward(const torch::Tensor& input) override {
    auto x = stem_->forward(input);
    for (const auto& b : blocks_) x = b->forward(x);
    x = head_conv_->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc_(dropout_(x));
  }

  std::string describe(GraphWriter& g, const std::string& input) const override {
    auto y = stem_->describe(g, "features.0", input);
    for (std::size_t i = 0; i < blocks_.size(); ++i)
      y = blocks_[i]->describe(g, "features." + std::to_string(i + 1), y);
    y = head_conv_->describe(g, "features." + std::to_string(blocks_.size() + 1), y);
    y = g.flatten("flatten", g.global_avg_pool("avgpool", y));
    return g.linear("classifier.1", g.dropout("classifier.0", y, dropout_), fc_);
  }

 private:
  std::shared_ptr<ConvBnRelu6> stem_;
  std::vector<std::shared_ptr<InvertedResidual>> blocks_;
  std::shared_ptr<ConvBnRelu6> head_conv_;
  nn::Dropout dropout_{nullptr};
  nn::Linear fc_{nullptr};
};

}  // namespace

std::shared_ptr<Network> make_small_cnn(const SmallCnnOptions& o) { return std::make_shared<SmallCnn>(o); }
std::shared_ptr<Network> make_resnet18(const ResNetOptions& o) { return std::make_shared<ResNet18>(o); }
std::shared_ptr<Network> make_mobilenet_v2(const MobileNetV2Options& o) { return std::make_shared<MobileNetV2>(o); }

}  // namespace kohl::backbone_cnn

// The LibTorch half of the SDK: a backbone written against kohl/sdk/backbone.hpp, whose
// NetGraph description is complete enough to recompute the network from the graph alone
// (what the TorchScript and ONNX exporters will do, since LibTorch's C++ API has no tracer).
#include <catch2/catch.hpp>

#include <map>

#include "kohl/sdk/backbone.hpp"
#include "kohl/sdk/exporter.hpp"
#include "sdk_torch/graph_interpreter.hpp"

using namespace kohl::sdk;

namespace {

struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl()
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).padding(1)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(4))),
        fc(register_module("fc", torch::nn::Linear(4, 2))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::relu(bn(conv(x)));
    y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    return fc(y);
  }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
  torch::nn::Linear fc;
};
TORCH_MODULE(TinyNet);

class TinyBackbone final : public IBackbone {
 public:
  Status build(const BackboneConfig& c) override {
    if (c.in_channels != 3 || c.num_outputs != 2) return Status::invalid("TinyBackbone: 3 channels in, 2 outputs");
    config_ = c;
    return Status::ok();
  }
  torch::nn::Module& module() override { return *net_; }
  torch::Tensor forward(const torch::Tensor& x) override { return net_->forward(x); }
  Result<NetGraph> graph() const override {
    NetGraph g;
    g.input_shape = {config_.in_channels, config_.height, config_.width};
    g.nodes = {
        {"conv", LayerOp::kConv2d, {"input"},
         {{"in", 3}, {"out", 4}, {"kernel", {3, 3}}, {"stride", {1, 1}}, {"padding", {1, 1}}, {"groups", 1},
          {"bias", true}},
         {{"weight", "conv.weight"}, {"bias", "conv.bias"}}},
        {"bn", LayerOp::kBatchNorm2d, {"conv"}, {{"features", 4}, {"eps", 1e-5}},
         {{"weight", "bn.weight"}, {"bias", "bn.bias"}, {"running_mean", "bn.running_mean"},
          {"running_var", "bn.running_var"}}},
        {"relu", LayerOp::kReLU, {"bn"}, Json::object(), {}},
        {"pool", LayerOp::kGlobalAvgPool, {"relu"}, Json::object(), {}},
        {"flat", LayerOp::kFlatten, {"pool"}, Json::object(), {}},
        {"fc", LayerOp::kLinear, {"flat"}, {{"in", 4}, {"out", 2}, {"bias", true}},
         {{"weight", "fc.weight"}, {"bias", "fc.bias"}}},
    };
    g.outputs = {"fc"};
    return g;
  }

 private:
  BackboneConfig config_;
  TinyNet net_;
};

}  // namespace

TEST_CASE("a backbone's graph names only tensors its module has", "[sdk_torch]") {
  TinyBackbone b;
  REQUIRE(b.build({3, 8, 8, 2, HeadKind::kClassify}).is_ok());
  CHECK_FALSE(b.build({1, 8, 8, 2, HeadKind::kClassify}).is_ok());
  auto g = b.graph();
  REQUIRE(g.is_ok());
  std::set<std::string> names;
  for (const auto& p : b.module().named_parameters()) names.insert(p.key());
  for (const auto& p : b.module().named_buffers()) names.insert(p.key());
  for (const auto& n : g->nodes)
    for (const auto& [role, name] : n.tensors) {
      INFO(n.name << "." << role);
      CHECK(names.count(name) == 1);
    }
  CHECK(b.train_step() == nullptr);
}

TEST_CASE("the graph recomputes the network's output", "[sdk_torch]") {
  torch::manual_seed(3);
  TinyBackbone b;
  REQUIRE(b.build({3, 8, 8, 2, HeadKind::kClassify}).is_ok());
  // Train-mode steps move BatchNorm's running statistics away from their initial values.
  auto& m = b.module();
  m.train();
  for (int i = 0; i < 3; ++i) b.forward(torch::randn({4, 3, 8, 8}));
  m.eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 8, 8});
  const auto direct = b.forward(x);
  const auto via_graph = kohl::test::run_graph(b.graph().value(), m, x);
  REQUIRE(direct.sizes() == torch::IntArrayRef({2, 2}));
  CHECK(torch::allclose(direct, via_graph, 1e-5, 1e-6));
}

TEST_CASE("op names are stable strings", "[sdk_torch]") {
  CHECK(std::string(to_string(LayerOp::kConv2d)) == "conv2d");
  CHECK(std::string(to_string(LayerOp::kGlobalAvgPool)) == "global_avg_pool");
  CHECK(std::string(to_string(PluginKind::kExporter)) == "exporter");
}

// The exporters (org.kohl.export.torchscript, org.kohl.export.onnx) on freshly built small
// backbones of all three kinds, and on a hand-written graph that uses the layers the
// backbones do not: each is exported, then tests/oracles/export_oracle.py loads the files
// with the outside runtimes (Python's torch.jit.load, onnx.checker, OpenCV's DNN module)
// and compares their outputs with LibTorch's eager outputs saved here.
#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/exporter.hpp"
#include "sdk_torch/graph_interpreter.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {

const core::PluginHost& host() {
  static core::PluginHost h;
  static bool loaded = false;
  if (!loaded) {
    for (const char* f : {"backbone_cnn.so", "export_torchscript.so", "export_onnx.so"})
      h.load_file((test::plugin_dir() / f).string());
    loaded = true;
  }
  return h;
}

std::shared_ptr<sdk::IExporter> exporter(const char* id) {
  auto r = host().create<sdk::IExporter>(id);
  INFO(id << ": " << r.status().message());
  REQUIRE(r.is_ok());
  return r.value();
}

void write_floats(const std::filesystem::path& p, const torch::Tensor& t) {
  auto c = t.detach().to(torch::kFloat32).contiguous();
  std::ofstream out(p, std::ios::binary);
  out.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.nbytes()));
}

sdk::Json shape(const torch::Tensor& t) {
  sdk::Json s = sdk::Json::array();
  for (auto d : t.sizes()) s.push_back(d);
  return s;
}

// Runs the oracle on the cases; returns its JSON (empty object when it failed).
sdk::Json run_oracle(const test::ScratchDir& dir, const sdk::Json& cases) {
  std::ofstream(dir / "cases.json") << cases.dump(2);
  const std::string cmd = "/usr/bin/python3 " + (test::source_dir() / "tests/oracles/export_oracle.py").string() + " " +
                          (dir / "cases.json").string() + " > " + (dir / "oracle.json").string() + " 2> " +
                          (dir / "oracle.err").string();
  const int rc = std::system(cmd.c_str());
  INFO("oracle stderr: " << test::read_file(dir / "oracle.err"));
  REQUIRE(rc == 0);
  return sdk::Json::parse(test::read_file(dir / "oracle.json"));
}

// A network given by a hand-written graph over a module's tensors: what a third-party
// backbone that describes its graph looks like to an exporter. forward() is the reference
// interpreter (tests/sdk_torch/graph_interpreter.hpp).
class GraphBackbone final : public sdk::IBackbone {
 public:
  using Forward = std::function<torch::Tensor(const torch::Tensor&)>;
  GraphBackbone(sdk::NetGraph g, std::shared_ptr<torch::nn::Module> m, Forward f = {})
      : graph_(std::move(g)), module_(std::move(m)), forward_(std::move(f)) {}
  sdk::Status build(const sdk::BackboneConfig&) override { return sdk::Status::ok(); }
  torch::nn::Module& module() override { return *module_; }
  torch::Tensor forward(const torch::Tensor& input) override {
    return forward_ ? forward_(input) : test::run_graph(graph_, *module_, input);
  }
  sdk::Result<sdk::NetGraph> graph() const override { return graph_; }

 private:
  sdk::NetGraph graph_;
  std::shared_ptr<torch::nn::Module> module_;
  Forward forward_;
};

// Upsampling, nearest then bilinear (the reference interpreter lacks it, so forward() is
// written out with LibTorch's functional interpolate, PyTorch's default align_corners false).
std::shared_ptr<GraphBackbone> upsampler() {
  using sdk::LayerOp;
  auto m = std::make_shared<torch::nn::Module>();
  auto conv = m->register_module("conv", std::make_shared<torch::nn::Module>());
  auto w = conv->register_parameter("weight", torch::randn({4, 3, 3, 3}) * 0.3);
  auto b = conv->register_parameter("bias", torch::randn({4}) * 0.1);
  sdk::NetGraph g;
  g.input_shape = {3, 6, 7};
  g.nodes.push_back({"conv", LayerOp::kConv2d, {"input"},
                     {{"in", 3}, {"out", 4}, {"kernel", {3, 3}}, {"stride", {1, 1}}, {"padding", {1, 1}}, {"groups", 1},
                      {"bias", true}},
                     {{"weight", "conv.weight"}, {"bias", "conv.bias"}}});
  g.nodes.push_back({"up_nearest", LayerOp::kUpsample, {"conv"}, {{"scale", 2}, {"mode", "nearest"}}, {}});
  g.nodes.push_back({"up_bilinear", LayerOp::kUpsample, {"up_nearest"}, {{"scale", 2}, {"mode", "bilinear"}}, {}});
  g.outputs = {"up_bilinear"};
  namespace F = torch::nn::functional;
  return std::make_shared<GraphBackbone>(g, m, [w, b](const torch::Tensor& x) {
    auto y = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(1));
    y = F::interpolate(y, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2, 2}).mode(torch::kNearest));
    return F::interpolate(y, F::InterpolateFuncOptions()
                                 .scale_factor(std::vector<double>{2, 2})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  });
}

// Every op the two exporters share that the CNN backbones do not use: a biased conv,
// leaky ReLU, sigmoid, tanh, a padded average pool, concat, a three-way add, a linear
// layer without bias, softmax.
std::shared_ptr<GraphBackbone> kitchen_sink() {
  using sdk::LayerOp;
  auto m = std::make_shared<torch::nn::Module>();
  auto conv = m->register_module("conv", std::make_shared<torch::nn::Module>());
  conv->register_parameter("weight", torch::randn({6, 3, 3, 3}) * 0.3);
  conv->register_parameter("bias", torch::randn({6}) * 0.1);
  m->register_module("fc", std::make_shared<torch::nn::Module>())->register_parameter("weight", torch::randn({5, 12}) * 0.3);
  sdk::NetGraph g;
  g.input_shape = {3, 16, 16};
  auto node = [&](std::string name, LayerOp op, std::vector<std::string> in, sdk::Json attrs = sdk::Json::object(),
                  std::map<std::string, std::string> t = {}) {
    g.nodes.push_back({std::move(name), op, std::move(in), std::move(attrs), std::move(t)});
  };
  node("conv", LayerOp::kConv2d, {"input"},
       {{"in", 3}, {"out", 6}, {"kernel", {3, 3}}, {"stride", {1, 1}}, {"padding", {1, 1}}, {"groups", 1}, {"bias", true}},
       {{"weight", "conv.weight"}, {"bias", "conv.bias"}});
  node("leaky", LayerOp::kLeakyReLU, {"conv"}, {{"slope", 0.1}});
  node("sig", LayerOp::kSigmoid, {"leaky"});
  node("tanh", LayerOp::kTanh, {"leaky"});
  node("sum", LayerOp::kAdd, {"sig", "tanh", "leaky"});
  node("avg", LayerOp::kAvgPool2d, {"sum"}, {{"kernel", {3, 3}}, {"stride", {2, 2}}, {"padding", {1, 1}}});
  node("max", LayerOp::kMaxPool2d, {"sum"}, {{"kernel", {3, 3}}, {"stride", {2, 2}}, {"padding", {1, 1}}});
  node("cat", LayerOp::kConcat, {"avg", "max"}, {{"axis", 1}});
  node("gap", LayerOp::kGlobalAvgPool, {"cat"});
  node("flat", LayerOp::kFlatten, {"gap"});
  node("drop", LayerOp::kDropout, {"flat"}, {{"p", 0.5}});
  node("fc", LayerOp::kLinear, {"drop"}, {{"in", 12}, {"out", 5}, {"bias", false}}, {{"weight", "fc.weight"}});
  node("softmax", LayerOp::kSoftmax, {"fc"}, {{"axis", 1}});
  g.outputs = {"softmax"};
  return std::make_shared<GraphBackbone>(g, m);
}

struct Case {
  std::string label;
  std::string id;
  sdk::Json params;
  std::int64_t side;
};

}  // namespace

TEST_CASE("exporters: TorchScript and ONNX of all three backbones match LibTorch in the outside runtimes",
          "[export]") {
  test::ScratchDir dir("export");
  auto ts = exporter("org.kohl.export.torchscript");
  auto onnx = exporter("org.kohl.export.onnx");
  CHECK(ts->format() == "torchscript");
  CHECK(onnx->format() == "onnx");
  const std::vector<Case> cases = {
      {"small_cnn", "org.kohl.backbone.small_cnn", {{"base_width", 8}, {"hidden_units", 16}}, 48},
      {"resnet18", "org.kohl.backbone.resnet18", {{"width", 0.25}}, 64},
      {"resnet18_small_input", "org.kohl.backbone.resnet18", {{"width", 0.25}, {"small_input", true}}, 32},
      {"mobilenet_v2", "org.kohl.backbone.mobilenet_v2", {{"width_multiplier", 0.35}}, 64},
  };
  sdk::Json oracle_cases = sdk::Json::array();
  torch::manual_seed(7);
  std::vector<std::shared_ptr<sdk::IBackbone>> keep;
  for (const auto& c : cases) {
    INFO(c.label);
    auto made = host().create<sdk::IBackbone>(c.id, c.params);
    REQUIRE(made.is_ok());
    auto b = made.value();
    REQUIRE(b->build({3, c.side, c.side, 4, sdk::HeadKind::kClassify}).is_ok());
    {  // train-mode passes move BatchNorm's running statistics off 0/1
      torch::NoGradGuard no_grad;
      b->module().train();
      for (int i = 0; i < 3; ++i) b->forward(torch::randn({4, 3, c.side, c.side}) * 2.0 + 0.5);
      b->module().eval();
    }
    auto g = b->graph();
    REQUIRE(g.is_ok());
    {  // logits of order 1 (MobileNetV2's head starts at std 0.01), so differences are not small by scale alone
      torch::NoGradGuard no_grad;
      const auto y = b->forward(torch::randn({4, 3, c.side, c.side}));
      const double factor = 1.0 / std::max(1e-6, y.std().item<double>());
      for (auto& p : b->module().named_parameters())
        if (p.key() == g->nodes.back().tensors.at("weight") || p.key() == g->nodes.back().tensors.at("bias"))
          p.value().mul_(factor);
    }
    // The exporters must cover every op the backbone uses.
    for (const auto& e : {ts, onnx}) {
      const auto ops = e->supported_ops();
      for (const auto& n : g->nodes) {
        INFO(e->format() << " " << n.name << " " << sdk::to_string(n.op));
        CHECK(std::find(ops.begin(), ops.end(), n.op) != ops.end());
      }
    }
    sdk::ExportRequest r;
    r.metadata = {{"name", c.label}};
    sdk::NullProgress progress;
    r.out_path = (dir / (c.label + ".pt")).string();
    auto st = ts->export_model(*b, g.value(), r, progress);
    INFO(st.message());
    REQUIRE(st.is_ok());
    r.out_path = (dir / (c.label + ".onnx")).string();
    st = onnx->export_model(*b, g.value(), r, progress);
    INFO(st.message());
    REQUIRE(st.is_ok());
    CHECK_FALSE(std::filesystem::exists(dir / (c.label + ".onnx.tmp")));
    torch::NoGradGuard no_grad;
    auto x = torch::randn({2, 3, c.side, c.side});
    auto y = b->forward(x);
    REQUIRE(y.defined());
    write_floats(dir / (c.label + ".in"), x);
    write_floats(dir / (c.label + ".out"), y);
    oracle_cases.push_back({{"name", c.label}, {"input", (dir / (c.label + ".in")).string()}, {"input_shape", shape(x)},
                            {"expected", (dir / (c.label + ".out")).string()}, {"output_shape", shape(y)},
                            {"torchscript", (dir / (c.label + ".pt")).string()},
                            {"onnx", (dir / (c.label + ".onnx")).string()}});
    keep.push_back(b);
  }
  {  // the layers the backbones do not use
    auto b = kitchen_sink();
    auto g = b->graph();
    sdk::ExportRequest r;
    r.metadata = {{"name", "kitchen_sink"}};
    sdk::NullProgress progress;
    r.out_path = (dir / "kitchen_sink.pt").string();
    auto st = ts->export_model(*b, g.value(), r, progress);
    INFO(st.message());
    REQUIRE(st.is_ok());
    r.out_path = (dir / "kitchen_sink.onnx").string();
    st = onnx->export_model(*b, g.value(), r, progress);
    INFO(st.message());
    REQUIRE(st.is_ok());
    torch::NoGradGuard no_grad;
    auto x = torch::randn({3, 3, 16, 16}) * 2.0;
    auto y = b->forward(x);
    write_floats(dir / "kitchen_sink.in", x);
    write_floats(dir / "kitchen_sink.out", y);
    oracle_cases.push_back({{"name", "kitchen_sink"}, {"input", (dir / "kitchen_sink.in").string()},
                            {"input_shape", shape(x)}, {"expected", (dir / "kitchen_sink.out").string()},
                            {"output_shape", shape(y)}, {"torchscript", (dir / "kitchen_sink.pt").string()},
                            {"onnx", (dir / "kitchen_sink.onnx").string()}});
  }

  {  // upsampling
    auto b = upsampler();
    sdk::ExportRequest r;
    r.metadata = {{"name", "upsample"}};
    r.out_path = (dir / "upsample.pt").string();
    sdk::NullProgress progress;
    auto st = ts->export_model(*b, b->graph().value(), r, progress);
    INFO(st.message());
    REQUIRE(st.is_ok());
    r.out_path = (dir / "upsample.onnx").string();
    st = onnx->export_model(*b, b->graph().value(), r, progress);
    INFO(st.message());
    REQUIRE(st.is_ok());
    torch::NoGradGuard no_grad;
    auto x = torch::randn({2, 3, 6, 7});
    auto y = b->forward(x);
    REQUIRE(y.sizes() == torch::IntArrayRef({2, 4, 24, 28}));
    write_floats(dir / "upsample.in", x);
    write_floats(dir / "upsample.out", y);
    oracle_cases.push_back({{"name", "upsample"}, {"input", (dir / "upsample.in").string()}, {"input_shape", shape(x)},
                            {"expected", (dir / "upsample.out").string()}, {"output_shape", shape(y)},
                            {"torchscript", (dir / "upsample.pt").string()}, {"onnx", (dir / "upsample.onnx").string()}});
  }

  const sdk::Json result = run_oracle(dir, oracle_cases);
  std::cout << "export oracle (max |difference| to LibTorch eager):\n";
  for (const auto& c : oracle_cases) {
    const std::string name = c["name"];
    INFO(name << ": " << result.dump());
    REQUIRE(result.contains(name));
    const auto& r = result[name];
    const bool with_onnx = !c["onnx"].is_null();
    std::cout << "  " << name << ": torch.jit.load " << r["torchscript_max_abs_diff"].get<double>() << ", OpenCV DNN "
              << (with_onnx ? r["opencv_max_abs_diff"].dump() : std::string("(no ONNX)")) << " (outputs up to "
              << r["max_abs_expected"].get<double>() << ")\n";
    CHECK(r["torchscript_max_abs_diff"].get<double>() <= 1e-5);
    CHECK(r["torchscript_metadata_name"] == name);
    CHECK(r["torchscript_parameters"].get<std::int64_t>() > 0);
    if (!with_onnx) continue;
    CHECK(r["opencv_max_abs_diff"].get<double>() <= 1e-4);
    CHECK(r["onnx_checker"] == "ok");
    CHECK(r["onnx_opset"].get<int>() >= 13);
    CHECK(r["onnx_metadata_name"] == name);
  }
}

TEST_CASE("exporters refuse a layer they cannot express, naming the node and the op", "[export]") {
  test::ScratchDir dir("export-unsupported");
  auto b = kitchen_sink();
  auto onnx = exporter("org.kohl.export.onnx");
  auto ts = exporter("org.kohl.export.torchscript");
  sdk::ExportRequest r;
  sdk::NullProgress progress;
  // Both exporters cover every op of graph.hpp today, so the op-level refusal is shown with
  // an op from a newer SDK (a value past the last one), and the attribute-level refusal with
  // an upsampling mode neither writes.
  const auto future_op = static_cast<sdk::LayerOp>(static_cast<std::uint32_t>(sdk::LayerOp::kSoftmax) + 1);
  for (const auto& e : {ts, onnx}) {
    const auto ops = e->supported_ops();
    CHECK(std::find(ops.begin(), ops.end(), future_op) == ops.end());
    for (const auto& [label, node] :
         {std::pair{std::string("future"), sdk::LayerNode{"newer", future_op, {"cat"}, sdk::Json::object(), {}}},
          std::pair{std::string("bicubic"),
                    sdk::LayerNode{"up", sdk::LayerOp::kUpsample, {"cat"}, {{"scale", 2}, {"mode", "bicubic"}}, {}}}}) {
      auto g = b->graph().value();
      g.nodes.insert(g.nodes.begin() + 8, node);  // after "cat", before the head
      r.out_path = (dir / (label + "." + e->format())).string();
      auto st = e->export_model(*b, g, r, progress);
      INFO(e->format() << " " << label << ": " << st.message());
      CHECK(st.code() == sdk::StatusCode::kUnsupported);
      CHECK_THAT(st.message(), Catch::Contains("'" + node.name + "'") &&
                                   Catch::Contains(label == "future" ? "unknown" : "bicubic"));
      CHECK_FALSE(std::filesystem::exists(r.out_path));
    }
  }

  // A graph naming a tensor the module does not have: invalid, naming both.
  auto g2 = b->graph().value();
  g2.nodes[0].tensors["weight"] = "no.such.tensor";
  for (const auto& e : {ts, onnx}) {
    r.out_path = (dir / ("bad." + e->format())).string();
    auto st = e->export_model(*b, g2, r, progress);
    INFO(e->format() << ": " << st.message());
    CHECK(st.code() == sdk::StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("no.such.tensor") && Catch::Contains("'conv'"));
    CHECK_FALSE(std::filesystem::exists(r.out_path));
  }
}

TEST_CASE("exporters stop when cancelled and leave no file behind", "[export]") {
  test::ScratchDir dir("export-cancel");
  auto b = kitchen_sink();
  const auto g = b->graph().value();
  for (const char* id : {"org.kohl.export.torchscript", "org.kohl.export.onnx"}) {
    auto e = exporter(id);
    sdk::ExportRequest r;
    r.out_path = (dir / ("cancelled." + e->format())).string();
    test::CancelAfter progress(1);
    auto st = e->export_model(*b, g, r, progress);
    INFO(id << ": " << st.message());
    CHECK(st.code() == sdk::StatusCode::kCancelled);
    CHECK_FALSE(std::filesystem::exists(r.out_path));
    CHECK_FALSE(std::filesystem::exists(r.out_path + ".tmp"));
  }
}

// backbone-cnn through the real host: the built library is loaded from build/plugins with
// core::PluginHost, as `kohl train` will. Small sizes (width 0.25 or 0.35, 64 px, batch 2)
// keep the suite fast on two cores; full-size parameter counts are checked against
// torchvision's published figures.
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>
#include <set>
#include <sstream>
#include <thread>

#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/backbone.hpp"
#include "sdk_torch/graph_interpreter.hpp"
#include "test_support.hpp"

using namespace kohl;

namespace {

const char* const kSmallCnn = "org.kohl.backbone.small_cnn";
const char* const kResNet18 = "org.kohl.backbone.resnet18";
const char* const kMobileNetV2 = "org.kohl.backbone.mobilenet_v2";

const core::PluginHost& host() { return test::plugin_host_with("backbone_cnn.so"); }

struct Case {
  std::string id;
  sdk::Json params;
  std::string label;
};

// One small configuration per network (and both ResNet stems).
std::vector<Case> small_cases() {
  return {
      {kSmallCnn, {{"base_width", 8}, {"hidden_units", 32}}, "small_cnn base 8"},
      {kSmallCnn, {{"base_width", 8}, {"hidden_units", 0}}, "small_cnn base 8, no hidden"},
      {kResNet18, {{"width", 0.25}}, "resnet18 x0.25"},
      {kResNet18, {{"width", 0.25}, {"small_input", true}}, "resnet18 x0.25 small_input"},
      {kMobileNetV2, {{"width_multiplier", 0.35}}, "mobilenet_v2 x0.35"},
  };
}

std::shared_ptr<sdk::IBackbone> make(const std::string& id, const sdk::Json& params) {
  auto r = host().create<sdk::IBackbone>(id, params);
  INFO(id << ": " << r.status().message());
  REQUIRE(r.is_ok());
  return r.value();
}

std::shared_ptr<sdk::IBackbone> built(const Case& c, std::int64_t outputs, sdk::HeadKind head, std::int64_t side = 64,
                                      std::int64_t channels = 3) {
  auto b = make(c.id, c.params);
  const auto st = b->build({channels, side, side, outputs, head});
  INFO(c.label << ": " << st.message());
  REQUIRE(st.is_ok());
  return b;
}

std::int64_t parameter_count(torch::nn::Module& m) {
  std::int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// Train-mode passes move BatchNorm's running statistics off their initial 0/1, so the
// graph's use of them is actually tested.
void warm_running_stats(sdk::IBackbone& b, std::int64_t side = 64) {
  torch::NoGradGuard no_grad;
  b.module().train();
  for (int i = 0; i < 3; ++i) b.forward(torch::randn({4, 3, side, side}) * 2.0 + 0.5);
  b.module().eval();
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

TEST_CASE("backbone-cnn registers three graph-describing backbones", "[backbone_cnn]") {
  for (const char* id : {kSmallCnn, kResNet18, kMobileNetV2}) {
    INFO(id);
    const auto* rec = host().find(id);
    REQUIRE(rec != nullptr);
    CHECK(rec->kind == sdk::PluginKind::kBackbone);
    CHECK((rec->descriptor->capabilities & sdk::kCapGraph) != 0);
    CHECK((rec->descriptor->capabilities & sdk::kCapTrainStep) == 0);
    const auto* dropout = rec->descriptor->schema.find("dropout");
    REQUIRE(dropout != nullptr);
    for (const auto& spec : rec->descriptor->schema.specs()) {
      INFO(spec.key);
      CHECK_FALSE(spec.label.empty());
      CHECK_FALSE(spec.help.empty());
      if (spec.type == sdk::ParamType::kInt || spec.type == sdk::ParamType::kFloat) {
        CHECK(spec.min.has_value());
        CHECK(spec.max.has_value());
      }
    }
  }
  CHECK(host().find(kResNet18)->descriptor->schema.find("width") != nullptr);
  CHECK(host().find(kResNet18)->descriptor->schema.find("small_input") != nullptr);
  CHECK(host().find(kMobileNetV2)->descriptor->schema.find("width_multiplier") != nullptr);
}

TEST_CASE("classification and regression heads give N x outputs", "[backbone_cnn]") {
  torch::manual_seed(1);
  for (const auto& c : small_cases()) {
    for (auto [head, outputs] : {std::pair{sdk::HeadKind::kClassify, std::int64_t{5}},
                                 std::pair{sdk::HeadKind::kRegress, std::int64_t{12}}}) {
      INFO(c.label << " head " << static_cast<int>(head));
      auto b = built(c, outputs, head);
      b->module().train();
      auto y = b->forward(torch::randn({2, 3, 64, 64}));
      REQUIRE(y.defined());
      CHECK(y.sizes() == torch::IntArrayRef({2, outputs}));
      CHECK(y.requires_grad());
      b->module().eval();
      torch::NoGradGuard no_grad;
      auto z = b->forward(torch::randn({2, 3, 64, 64}));
      CHECK(z.sizes() == torch::IntArrayRef({2, outputs}));
      CHECK(torch::isfinite(z).all().item<bool>());
    }
  }
}

TEST_CASE("build honours channels and a non-square input size", "[backbone_cnn]") {
  torch::manual_seed(2);
  for (const auto& c : small_cases()) {
    INFO(c.label);
    auto b = make(c.id, c.params);
    REQUIRE(b->build({1, 64, 96, 7, sdk::HeadKind::kRegress}).is_ok());
    b->module().eval();
    torch::NoGradGuard no_grad;
    const auto y = b->forward(torch::randn({2, 1, 64, 96}));
    REQUIRE(y.defined());
    CHECK(y.sizes() == torch::IntArrayRef({2, 7}));
    auto g = b->graph();
    REQUIRE(g.is_ok());
    CHECK(g->input_shape == std::vector<std::int64_t>{1, 64, 96});
    CHECK(g->nodes.front().attrs["in"] == 1);
    const auto x = torch::randn({2, 1, 64, 96});
    CHECK(max_abs_diff(b->forward(x), test::run_graph(g.value(), b->module(), x)) < 1e-5);
  }
}

TEST_CASE("the graph recomputes forward() exactly, with every parameter named", "[backbone_cnn]") {
  torch::manual_seed(3);
  for (const auto& c : small_cases()) {
    for (auto head : {sdk::HeadKind::kClassify, sdk::HeadKind::kRegress}) {
      INFO(c.label << " head " << static_cast<int>(head));
      auto b = built(c, 6, head);
      warm_running_stats(*b);
      auto g = b->graph();
      INFO(g.status().message());
      REQUIRE(g.is_ok());
      REQUIRE(g->outputs.size() == 1);
      CHECK(g->input_shape == std::vector<std::int64_t>{3, 64, 64});

      // Names: unique nodes; every tensor the graph names exists; every parameter and
      // running statistic of the module is used by exactly one node.
      std::set<std::string> module_tensors, used, node_names;
      for (const auto& p : b->module().named_parameters()) module_tensors.insert(p.key());
      for (const auto& p : b->module().named_buffers())
        if (p.key().find("num_batches_tracked") == std::string::npos) module_tensors.insert(p.key());
      std::map<std::string, int> ops;
      bool grouped_conv = false;
      for (const auto& n : g->nodes) {
        CHECK(node_names.insert(n.name).second);
        ++ops[sdk::to_string(n.op)];
        if (n.op == sdk::LayerOp::kConv2d && n.attrs["groups"].get<std::int64_t>() > 1) grouped_conv = true;
        for (const auto& [role, name] : n.tensors) {
          INFO(n.name << "." << role << " -> " << name);
          CHECK(module_tensors.count(name) == 1);
          CHECK(used.insert(name).second);
        }
      }
      CHECK(used == module_tensors);
      CHECK(ops["dropout"] == 1);
      CHECK(ops["linear"] >= 1);
      CHECK(ops["global_avg_pool"] == 1);
      CHECK(grouped_conv == (c.id == kMobileNetV2));
      if (c.id == kMobileNetV2) {
        CHECK(ops["relu6"] > 0);
        CHECK(ops["relu"] == 0);
      }
      if (c.id == kResNet18) CHECK(ops["add"] == 8);
      if (head == sdk::HeadKind::kClassify) {
        std::ostringstream os;
        for (const auto& [op, count] : ops) os << " " << op << "=" << count;
        std::cout << c.label << ": " << g->nodes.size() << " nodes:" << os.str() << "\n";
      }

      torch::NoGradGuard no_grad;
      const auto x = torch::randn({2, 3, 64, 64});
      const auto direct = b->forward(x);
      const auto via_graph = test::run_graph(g.value(), b->module(), x);
      REQUIRE(via_graph.sizes() == direct.sizes());
      CHECK(max_abs_diff(direct, via_graph) < 1e-5);
      // The same numbers from a channels-last input (the layout the trainer may pick).
      const auto direct_cl = b->forward(x.contiguous(torch::MemoryFormat::ChannelsLast));
      CHECK(max_abs_diff(direct, direct_cl) < 1e-4);
    }
  }
}

TEST_CASE("a few SGD steps overfit eight samples", "[backbone_cnn]") {
  for (const auto& c : small_cases()) {
    for (auto head : {sdk::HeadKind::kClassify, sdk::HeadKind::kRegress}) {
      INFO(c.label << " head " << static_cast<int>(head));
      torch::manual_seed(4);
      const std::int64_t outputs = head == sdk::HeadKind::kClassify ? 4 : 3;
      auto b = built(c, outputs, head);
      // Learnable on purpose, like the real tasks: classes shift the colour of noisy images
      // (class k brightens channel k, class 3 darkens all), and the regression targets are
      // the images' mean colours, as a palette regressor predicts colours.
      const auto labels = torch::arange(8, torch::kLong) % 4;
      auto shift = torch::zeros({8, 3, 1, 1});
      for (int i = 0; i < 8; ++i) {
        const auto k = labels[i].item<std::int64_t>();
        if (k < 3) shift[i][k] = 1.0;
        else shift[i] = -1.0;
      }
      const auto images = torch::randn({8, 3, 64, 64}) + shift;
      const auto targets = head == sdk::HeadKind::kClassify ? labels : images.mean({2, 3});
      auto loss_of = [&](const torch::Tensor& y) {
        return head == sdk::HeadKind::kClassify ? torch::nn::functional::cross_entropy(y, targets)
                                                : torch::mse_loss(y, targets);
      };
      torch::optim::SGD opt(b->module().parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
      b->module().train();
      std::vector<double> losses;
      for (int step = 0; step < 30; ++step) {
        opt.zero_grad();
        auto loss = loss_of(b->forward(images));
        loss.backward();
        opt.step();
        losses.push_back(loss.item<double>());
      }
      // Dropout makes single train-mode losses noisy: compare the last five on average.
      const double last = std::accumulate(losses.end() - 5, losses.end(), 0.0) / 5.0;
      std::cout << c.label << (head == sdk::HeadKind::kClassify ? " classify" : " regress") << ": loss "
                << losses.front() << " -> " << last << " (mean of the last 5 of " << losses.size() << " steps)\n";
      CHECK(std::isfinite(last));
      CHECK(last < 0.5 * losses.front());
    }
  }
}

TEST_CASE("the same seed gives the same initial weights", "[backbone_cnn]") {
  for (const auto& c : small_cases()) {
    INFO(c.label);
    auto weights = [&](std::uint64_t seed) {
      torch::manual_seed(seed);
      auto b = built(c, 5, sdk::HeadKind::kClassify);
      std::vector<torch::Tensor> w;
      for (const auto& p : b->module().parameters()) w.push_back(p.detach().clone());
      return w;
    };
    const auto a = weights(11), a2 = weights(11), other = weights(12);
    REQUIRE(a.size() == a2.size());
    bool same = true, differs = false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      same = same && torch::equal(a[i], a2[i]);
      differs = differs || !torch::equal(a[i], other[i]);
    }
    CHECK(same);
    CHECK(differs);
  }
}

TEST_CASE("parameter counts match the reference networks", "[backbone_cnn]") {
  auto count = [](const char* id, const sdk::Json& params, std::int64_t outputs, std::int64_t side = 64) {
    auto b = make(id, params);
    REQUIRE(b->build({3, side, side, outputs, sdk::HeadKind::kClassify}).is_ok());
    const auto n = parameter_count(b->module());
    std::cout << id << " " << params.dump() << " outputs " << outputs << ": " << n << " parameters\n";
    return n;
  };
  // torchvision.models.resnet18() and mobilenet_v2() with 1000 classes: the published counts.
  CHECK(count(kResNet18, sdk::Json::object(), 1000, 224) == 11689512);
  CHECK(count(kMobileNetV2, sdk::Json::object(), 1000, 224) == 3504872);
  // Small CNN, defaults (32, 64, 128; hidden 128), 10 classes, counted by hand:
  // convs 3*32*9 + 32*64*9 + 64*128*9, BN 2*(32+64+128), hidden 128*128+128, fc 128*10+10.
  CHECK(count(kSmallCnn, sdk::Json::object(), 10) == 864 + 18432 + 73728 + 448 + 16512 + 1290);
  // The small stem has no effect on counts beyond conv1's kernel: 3x3 instead of 7x7.
  CHECK(count(kResNet18, {{"small_input", true}}, 1000) == 11689512 - 64 * 3 * (49 - 9));
  // The test-size networks, for the record.
  for (const auto& c : small_cases()) {
    const auto n5 = count(c.id.c_str(), c.params, 5);
    CHECK(n5 > 5000);
    CHECK(n5 < 1000000);
  }
}

TEST_CASE("bad parameters are rejected by the schema with a clear message", "[backbone_cnn]") {
  const std::vector<std::pair<std::string, sdk::Json>> bad = {
      {kResNet18, {{"width", 0.0}}},
      {kMobileNetV2, {{"width_multiplier", 0.0}}},
      {kMobileNetV2, {{"width_multiplier", 2.0}}},
      {kSmallCnn, {{"base_width", 0}}},
      {kSmallCnn, {{"blocks", 0}}},
      {kResNet18, {{"dropout", 1.0}}},
  };
  for (const auto& [id, params] : bad) {
    auto r = host().create<sdk::IBackbone>(id, params);
    const auto key = params.begin().key();
    INFO(id << " " << params.dump() << ": " << r.status().message());
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == sdk::StatusCode::kInvalidArgument);
    CHECK(r.status().message().find("parameter '" + key + "'") != std::string::npos);
    CHECK(r.status().message().find("expected") != std::string::npos);
  }
}

TEST_CASE("build rejects configurations it cannot honour", "[backbone_cnn]") {
  auto resnet = make(kResNet18, {{"width", 0.25}});
  auto st = resnet->build({3, 64, 64, 0, sdk::HeadKind::kClassify});
  CHECK(st.code() == sdk::StatusCode::kInvalidArgument);
  CHECK(st.message().find("num_outputs") != std::string::npos);
  CHECK_FALSE(resnet->build({0, 64, 64, 3, sdk::HeadKind::kClassify}).is_ok());
  CHECK_FALSE(resnet->build({3, 64, 64, 3, static_cast<sdk::HeadKind>(7)}).is_ok());
  st = resnet->build({3, 16, 16, 3, sdk::HeadKind::kClassify});
  CHECK_FALSE(st.is_ok());
  CHECK(st.message().find("small_input") != std::string::npos);
  auto small_stem = make(kResNet18, {{"width", 0.25}, {"small_input", true}});
  CHECK(small_stem->build({3, 16, 16, 3, sdk::HeadKind::kClassify}).is_ok());
  CHECK_FALSE(make(kSmallCnn, {{"blocks", 5}})->build({3, 16, 16, 3, sdk::HeadKind::kClassify}).is_ok());
  CHECK_FALSE(make(kMobileNetV2, sdk::Json::object())->build({3, 64, 64, 0, sdk::HeadKind::kRegress}).is_ok());
  CHECK_FALSE(make(kSmallCnn, sdk::Json::object())->build({3, 64, 64, 0, sdk::HeadKind::kRegress}).is_ok());
}

TEST_CASE("misuse is reported without exceptions", "[backbone_cnn]") {
  auto b = make(kSmallCnn, {{"base_width", 8}});
  CHECK(b->module().parameters().empty());
  CHECK_FALSE(b->forward(torch::randn({1, 3, 64, 64})).defined());
  CHECK_FALSE(b->graph().is_ok());
  REQUIRE(b->build({3, 64, 64, 2, sdk::HeadKind::kClassify}).is_ok());
  torch::NoGradGuard no_grad;
  b->module().eval();
  CHECK_FALSE(b->forward(torch::randn({1, 4, 64, 64})).defined());  // wrong channel count
  CHECK_FALSE(b->forward(torch::randn({3, 64, 64})).defined());     // no batch dimension
  CHECK_FALSE(b->forward(torch::Tensor()).defined());
  CHECK(b->forward(torch::randn({1, 3, 64, 64})).defined());
}

TEST_CASE("module() holds the whole state: a checkpoint restores the outputs", "[backbone_cnn]") {
  for (const auto& c : small_cases()) {
    INFO(c.label);
    torch::manual_seed(5);
    auto a = built(c, 4, sdk::HeadKind::kRegress);
    warm_running_stats(*a);
    std::stringstream checkpoint;
    {
      torch::serialize::OutputArchive archive;
      a->module().save(archive);
      archive.save_to(checkpoint);
    }
    torch::manual_seed(6);
    auto b = built(c, 4, sdk::HeadKind::kRegress);
    {
      torch::serialize::InputArchive archive;
      archive.load_from(checkpoint);
      b->module().load(archive);
    }
    b->module().eval();
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({2, 3, 64, 64});
    CHECK(torch::equal(a->forward(x), b->forward(x)));
  }
}

TEST_CASE("inference from several threads gives the single-thread answer", "[backbone_cnn]") {
  torch::manual_seed(8);
  auto b = built(small_cases()[2], 3, sdk::HeadKind::kClassify);
  warm_running_stats(*b);
  const auto x = torch::randn({2, 3, 64, 64});
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = b->forward(x);
  }
  std::vector<torch::Tensor> got(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] {
      torch::NoGradGuard no_grad;  // grad mode is per thread
      for (int k = 0; k < 3; ++k) got[i] = b->forward(x);
    });
  for (auto& t : threads) t.join();
  for (const auto& y : got) CHECK(torch::equal(y, expected));
}

// Not run by default ("[.]"): training-step throughput of the issue-#5 bench configuration
// (ResNet-18 at 128 px, batch 32) in both memory layouts, for the performance note.
TEST_CASE("ResNet-18 training-step throughput", "[.][backbone_cnn_bench]") {
  for (bool channels_last : {false, true}) {
    torch::manual_seed(9);
    auto b = make(kResNet18, sdk::Json::object());
    REQUIRE(b->build({3, 128, 128, 10, sdk::HeadKind::kClassify}).is_ok());
    const auto layout = channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    {
      torch::NoGradGuard no_grad;
      for (auto& p : b->module().parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(layout));
    }
    auto images = torch::randn({32, 3, 128, 128}).contiguous(layout);
    const auto labels = torch::randint(10, {32}, torch::kLong);
    torch::optim::SGD opt(b->module().parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    b->module().train();
    auto step = [&] {
      opt.zero_grad();
      torch::nn::functional::cross_entropy(b->forward(images), labels).backward();
      opt.step();
    };
    step();  // warm-up: allocator and oneDNN primitives
    const int steps = 4;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "resnet18 128px batch 32 " << (channels_last ? "channels-last" : "contiguous") << ", "
              << torch::get_num_threads() << " threads: " << 1000.0 * s / steps << " ms/step, "
              << 32.0 * steps / s << " images/s\n";
  }
}

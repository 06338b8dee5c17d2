// A reference interpreter for NetGraph, shared by the LibTorch test suites: it recomputes a
// network from its graph and the module's named tensors alone, as the exporters will, so
// "graph == forward()" tests check that a backbone's description is complete and exact.
// Inference semantics: BatchNorm uses running statistics, Dropout is the identity.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "kohl/sdk/graph.hpp"

namespace kohl::test {

namespace graph_detail {
// [h, w] from an attribute written as [h, w] or as one integer.
inline std::vector<std::int64_t> pair_attr(const sdk::LayerNode& n, const char* key, std::int64_t fallback) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return {fallback, fallback};
  if (it->is_array()) return {(*it)[0].get<std::int64_t>(), (*it)[1].get<std::int64_t>()};
  return {it->get<std::int64_t>(), it->get<std::int64_t>()};
}
}  // namespace graph_detail

// Evaluates graph `g` on `input` with the tensors of module `m` (named_parameters() and
// named_buffers()). Throws std::runtime_error naming the node on anything it cannot do.
inline torch::Tensor run_graph(const sdk::NetGraph& g, torch::nn::Module& m, const torch::Tensor& input) {
  using graph_detail::pair_attr;
  using sdk::LayerOp;
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : m.named_parameters()) tensors[p.key()] = p.value();
  for (const auto& b : m.named_buffers()) tensors[b.key()] = b.value();
  std::map<std::string, torch::Tensor> values{{g.input, input}};
  for (const auto& n : g.nodes) {
    if (values.count(n.name)) throw std::runtime_error("node name used twice: " + n.name);
    std::vector<torch::Tensor> in;
    for (const auto& name : n.inputs) {
      auto it = values.find(name);
      if (it == values.end()) throw std::runtime_error("node " + n.name + ": input '" + name + "' not computed yet");
      in.push_back(it->second);
    }
    if (in.empty()) throw std::runtime_error("node " + n.name + ": no inputs");
    const torch::Tensor& x = in[0];
    auto t = [&](const char* role) -> torch::Tensor {
      auto r = n.tensors.find(role);
      if (r == n.tensors.end()) return {};
      auto it = tensors.find(r->second);
      if (it == tensors.end()) throw std::runtime_error("node " + n.name + ": no tensor named " + r->second);
      return it->second;
    };
    torch::Tensor y;
    switch (n.op) {
      case LayerOp::kConv2d:
        y = torch::conv2d(x, t("weight"), t("bias"), pair_attr(n, "stride", 1), pair_attr(n, "padding", 0),
                          /*dilation=*/{1, 1}, n.attrs.value("groups", std::int64_t{1}));
        break;
      case LayerOp::kBatchNorm2d:
        y = torch::batch_norm(x, t("weight"), t("bias"), t("running_mean"), t("running_var"), /*training=*/false,
                              0.0, n.attrs.at("eps").get<double>(), /*cudnn_enabled=*/false);
        break;
      case LayerOp::kReLU: y = torch::relu(x); break;
      case LayerOp::kReLU6: y = torch::clamp(x, 0.0, 6.0); break;
      case LayerOp::kLeakyReLU: y = torch::leaky_relu(x, n.attrs.at("slope").get<double>()); break;
      case LayerOp::kSigmoid: y = torch::sigmoid(x); break;
      case LayerOp::kTanh: y = torch::tanh(x); break;
      case LayerOp::kMaxPool2d:
        y = torch::max_pool2d(x, pair_attr(n, "kernel", 1), pair_attr(n, "stride", 1), pair_attr(n, "padding", 0));
        break;
      case LayerOp::kAvgPool2d:
        y = torch::avg_pool2d(x, pair_attr(n, "kernel", 1), pair_attr(n, "stride", 1), pair_attr(n, "padding", 0));
        break;
      case LayerOp::kGlobalAvgPool: y = torch::adaptive_avg_pool2d(x, {1, 1}); break;
      case LayerOp::kFlatten: y = x.flatten(1); break;
      case LayerOp::kLinear: y = torch::linear(x, t("weight"), t("bias")); break;
      case LayerOp::kDropout: y = x; break;
      case LayerOp::kAdd:
        y = in[0];
        for (std::size_t i = 1; i < in.size(); ++i) y = y + in[i];
        break;
      case LayerOp::kConcat: y = torch::cat(in, n.attrs.value("axis", std::int64_t{1})); break;
      case LayerOp::kSoftmax: y = torch::softmax(x, n.attrs.value("axis", std::int64_t{1})); break;
      default: throw std::runtime_error(std::string("op not in the test interpreter: ") + sdk::to_string(n.op));
    }
    values[n.name] = y;
  }
  return values.at(g.outputs.at(0));
}

}  // namespace kohl::test

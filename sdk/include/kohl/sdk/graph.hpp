// NetGraph: a network described as a graph of standard layers. LibTorch's C++ API has no
// tracer and no ONNX exporter, so backbones describe their network this way and exporters
// (TorchScript code generation, ONNX writing) walk the graph. Persisted (bundles): op names.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kohl/sdk/params.hpp"

namespace kohl::sdk {

enum class LayerOp : std::uint32_t {
  kConv2d,         // attrs: in, out, kernel [kh,kw], stride [sh,sw], padding [ph,pw], groups, bias
  kBatchNorm2d,    // attrs: features, eps, momentum; params weight, bias, running_mean, running_var
  kReLU,
  kReLU6,
  kLeakyReLU,      // attrs: slope
  kSigmoid,
  kTanh,
  kMaxPool2d,      // attrs: kernel, stride, padding
  kAvgPool2d,      // attrs: kernel, stride, padding
  kGlobalAvgPool,  // N,C,H,W -> N,C,1,1
  kFlatten,        // N,... -> N,prod(...)
  kLinear,         // attrs: in, out, bias; params weight, bias
  kDropout,        // attrs: p (identity at inference)
  kAdd,            // two or more inputs, elementwise
  kConcat,         // attrs: axis
  kUpsample,       // attrs: scale, mode ("nearest" | "bilinear")
  kSoftmax,        // attrs: axis
};

inline const char* to_string(LayerOp op) {
  switch (op) {
    case LayerOp::kConv2d: return "conv2d";
    case LayerOp::kBatchNorm2d: return "batch_norm2d";
    case LayerOp::kReLU: return "relu";
    case LayerOp::kReLU6: return "relu6";
    case LayerOp::kLeakyReLU: return "leaky_relu";
    case LayerOp::kSigmoid: return "sigmoid";
    case LayerOp::kTanh: return "tanh";
    case LayerOp::kMaxPool2d: return "max_pool2d";
    case LayerOp::kAvgPool2d: return "avg_pool2d";
    case LayerOp::kGlobalAvgPool: return "global_avg_pool";
    case LayerOp::kFlatten: return "flatten";
    case LayerOp::kLinear: return "linear";
    case LayerOp::kDropout: return "dropout";
    case LayerOp::kAdd: return "add";
    case LayerOp::kConcat: return "concat";
    case LayerOp::kUpsample: return "upsample";
    case LayerOp::kSoftmax: return "softmax";
  }
  return "unknown";
}

struct LayerNode {
  std::string name;                 // unique in the graph
  LayerOp op = LayerOp::kReLU;
  std::vector<std::string> inputs;  // node names, or the graph's input name
  Json attrs = Json::object();
  // role ("weight", "bias", "running_mean", "running_var") -> name of the tensor in the
  // module's named_parameters() / named_buffers().
  std::map<std::string, std::string> tensors;
};

struct NetGraph {
  std::string input = "input";        // N,C,H,W float
  std::vector<std::int64_t> input_shape;  // C,H,W
  std::vector<LayerNode> nodes;       // in topological order
  std::vector<std::string> outputs;   // node names
};

}  // namespace kohl::sdk

// org.kohl.export.onnx: writes a trained backbone as an ONNX model (opset 13) with Debian's
// libonnx protobuf classes, from the backbone's NetGraph. The trained tensors become the
// initializers under their module paths ("layer1.0.conv1.weight"), BatchNorm is KEPT as
// BatchNormalization (not folded: the initializers are exactly the checkpoint's tensors;
// runtimes fuse it themselves), Dropout is left out (identity at inference). The graph's
// input is "input" (batch, C, H, W; batch is symbolic), its output "output". The request's
// metadata is stored as the model's metadata_props entry "kohl" (JSON).
//
// Choices made so that OpenCV's DNN module (4.6, Debian 12) runs the file, each of them
// standard ONNX that other runtimes run too:
//   - ReLU6 is Relu(x) - Relu(x - 6), not Clip(x, 0, 6): opset 13's Clip takes its bounds
//     as inputs, which OpenCV 4.6 refuses. Exact for |x| <= 12, within one float rounding
//     of x above.
//   - A padded average pool is Pad (zeros) + AveragePool without padding: PyTorch counts the
//     padding in the mean, and OpenCV 4.6 ignores count_include_pad.
//   - Linear is Gemm(transB = 1), always with a C input (zeros when the layer has no bias).
//   - Upsample is Resize with constant scales: nearest as PyTorch's (asymmetric coordinates,
//     floor), bilinear as PyTorch's align_corners=False (pytorch_half_pixel).
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "kohl/sdk/exporter.hpp"
#include "kohl/sdk/plugin.hpp"

namespace {

using namespace kohl::sdk;
namespace fs = std::filesystem;

constexpr std::int64_t kOpset = 13;

const std::vector<LayerOp> kOps = {LayerOp::kConv2d,   LayerOp::kBatchNorm2d, LayerOp::kReLU,        LayerOp::kReLU6,
                                   LayerOp::kLeakyReLU, LayerOp::kSigmoid,    LayerOp::kTanh,        LayerOp::kMaxPool2d,
                                   LayerOp::kAvgPool2d, LayerOp::kGlobalAvgPool, LayerOp::kFlatten,  LayerOp::kLinear,
                                   LayerOp::kDropout,  LayerOp::kAdd,         LayerOp::kConcat,      LayerOp::kUpsample,
                                   LayerOp::kSoftmax};

std::vector<std::int64_t> pair(const LayerNode& n, const char* key, std::int64_t fallback) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return {fallback, fallback};
  if (it->is_array()) return {(*it)[0].get<std::int64_t>(), (*it)[1].get<std::int64_t>()};
  return {it->get<std::int64_t>(), it->get<std::int64_t>()};
}

void ints(onnx::NodeProto* n, const char* name, const std::vector<std::int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void int1(onnx::NodeProto* n, const char* name, std::int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void float1(onnx::NodeProto* n, const char* name, double v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(v));
}

class OnnxWriter {
 public:
  OnnxWriter(IBackbone& backbone, const NetGraph& graph, onnx::GraphProto* g) : graph_(graph), g_(g) {
    for (const auto& p : backbone.module().named_parameters()) tensors_[p.key()] = p.value();
    for (const auto& b : backbone.module().named_buffers()) tensors_[b.key()] = b.value();
  }

  Status write(IProgress& progress) {
    const std::set<LayerOp> ok(kOps.begin(), kOps.end());
    // Check every node before writing any: the error names the first one that cannot be written.
    for (const auto& n : graph_.nodes)
      if (!ok.count(n.op))
        return Status::unsupported("onnx export: node '" + n.name + "' has op " + to_string(n.op) +
                                   ", which this exporter cannot express (it writes: " + covered() + ")");
    if (graph_.outputs.size() != 1)
      return Status::unsupported("onnx export: the graph has " + std::to_string(graph_.outputs.size()) +
                                 " outputs; this exporter writes one");
    // Dropout nodes are aliases of their input; the node that makes the graph's output
    // writes the value "output".
    std::map<std::string, std::string> alias;
    for (const auto& n : graph_.nodes)
      if (n.op == LayerOp::kDropout && !n.inputs.empty())
        alias[n.name] = alias.count(n.inputs[0]) ? alias[n.inputs[0]] : n.inputs[0];
    final_ = alias.count(graph_.outputs[0]) ? alias[graph_.outputs[0]] : graph_.outputs[0];
    if (final_ == graph_.input) return Status::unsupported("onnx export: the graph's output is its input");
    value_[graph_.input] = graph_.input;
    for (const auto& n : graph_.nodes) {
      if (value_.count(n.name)) return Status::invalid("onnx export: node name '" + n.name + "' used twice");
      std::vector<std::string> in;
      for (const auto& i : n.inputs) {
        auto it = value_.find(i);
        if (it == value_.end())
          return Status::invalid("onnx export: node '" + n.name + "' reads '" + i + "', which no earlier node makes");
        in.push_back(it->second);
      }
      if (in.empty()) return Status::invalid("onnx export: node '" + n.name + "' has no inputs");
      if (n.op == LayerOp::kDropout) {
        value_[n.name] = in[0];
        continue;
      }
      const std::string out = n.name == final_ ? "output" : n.name;
      if (Status s = node(n, in, out); !s) return s;
      value_[n.name] = out;
      progress.advance(1);
      if (progress.cancelled()) return Status::cancelled("onnx export cancelled");
    }
    return Status::ok();
  }

 private:
  static std::string covered() {
    std::string s;
    for (auto op : kOps) s += (s.empty() ? "" : ", ") + std::string(to_string(op));
    return s;
  }

  onnx::NodeProto* add(const std::string& type, const std::string& name, const std::vector<std::string>& in,
                       const std::string& out) {
    auto* n = g_->add_node();
    n->set_op_type(type);
    n->set_name(name);
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }

  // The module tensor a node names, as an initializer (written once).
  Result<std::string> tensor(const LayerNode& n, const char* role) {
    auto r = n.tensors.find(role);
    if (r == n.tensors.end())
      return Status::invalid("onnx export: node '" + n.name + "' lacks its " + std::string(role) + " tensor");
    auto it = tensors_.find(r->second);
    if (it == tensors_.end())
      return Status::invalid("onnx export: node '" + n.name + "': the module has no tensor named '" + r->second + "'");
    if (written_.insert(r->second).second) initializer(r->second, it->second);
    return r->second;
  }

  void initializer(const std::string& name, const torch::Tensor& value) {
    torch::Tensor t = value.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    auto* p = g_->add_initializer();
    p->set_name(name);
    p->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : t.sizes()) p->add_dims(d);
    p->set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), static_cast<std::size_t>(t.nbytes())));
  }

  std::string constant(const std::string& name, const torch::Tensor& t) {
    if (written_.insert(name).second) {
      if (t.scalar_type() == torch::kInt64) {
        auto* p = g_->add_initializer();
        p->set_name(name);
        p->set_data_type(onnx::TensorProto::INT64);
        for (auto d : t.sizes()) p->add_dims(d);
        auto c = t.contiguous();
        p->set_raw_data(std::string(static_cast<const char*>(c.data_ptr()), static_cast<std::size_t>(c.nbytes())));
      } else {
        initializer(name, t);
      }
    }
    return name;
  }

  Status node(const LayerNode& n, const std::vector<std::string>& in, const std::string& out) {
    const std::string& x = in[0];
    switch (n.op) {
      case LayerOp::kConv2d: {
        auto w = tensor(n, "weight");
        if (!w) return w.status();
        std::vector<std::string> inputs{x, *w};
        if (n.tensors.count("bias")) {
          auto b = tensor(n, "bias");
          if (!b) return b.status();
          inputs.push_back(*b);
        }
        auto* c = add("Conv", n.name, inputs, out);
        const auto pad = pair(n, "padding", 0);
        auto it = tensors_.find(n.tensors.at("weight"));
        ints(c, "kernel_shape", {it->second.size(2), it->second.size(3)});
        ints(c, "strides", pair(n, "stride", 1));
        ints(c, "pads", {pad[0], pad[1], pad[0], pad[1]});
        ints(c, "dilations", {1, 1});
        int1(c, "group", n.attrs.value("groups", std::int64_t{1}));
        return Status::ok();
      }
      case LayerOp::kBatchNorm2d: {
        std::vector<std::string> inputs{x};
        for (const char* role : {"weight", "bias", "running_mean", "running_var"}) {
          auto t = tensor(n, role);
          if (!t) return t.status();
          inputs.push_back(*t);
        }
        auto* b = add("BatchNormalization", n.name, inputs, out);
        float1(b, "epsilon", n.attrs.value("eps", 1e-5));
        float1(b, "momentum", 1.0 - n.attrs.value("momentum", 0.1));  // ONNX's is the running stats' weight
        return Status::ok();
      }
      case LayerOp::kReLU: add("Relu", n.name, {x}, out); return Status::ok();
      case LayerOp::kReLU6: {
        const std::string six = constant("kohl.const.six", torch::tensor(6.0f));
        add("Relu", n.name + "/relu", {x}, n.name + "/relu");
        add("Sub", n.name + "/minus6", {x, six}, n.name + "/minus6");
        add("Relu", n.name + "/relu_minus6", {n.name + "/minus6"}, n.name + "/relu_minus6");
        add("Sub", n.name, {n.name + "/relu", n.name + "/relu_minus6"}, out);
        return Status::ok();
      }
      case LayerOp::kLeakyReLU:
        float1(add("LeakyRelu", n.name, {x}, out), "alpha", n.attrs.value("slope", 0.01));
        return Status::ok();
      case LayerOp::kSigmoid: add("Sigmoid", n.name, {x}, out); return Status::ok();
      case LayerOp::kTanh: add("Tanh", n.name, {x}, out); return Status::ok();
      case LayerOp::kMaxPool2d: {
        const auto pad = pair(n, "padding", 0);
        auto* p = add("MaxPool", n.name, {x}, out);
        ints(p, "kernel_shape", pair(n, "kernel", 1));
        ints(p, "strides", pair(n, "stride", 1));
        ints(p, "pads", {pad[0], pad[1], pad[0], pad[1]});
        return Status::ok();
      }
      case LayerOp::kAvgPool2d: {
        const auto pad = pair(n, "padding", 0);
        std::string src = x;
        if (pad[0] != 0 || pad[1] != 0) {  // PyTorch's count_include_pad: zeros, then an unpadded pool
          const std::string pads = constant(n.name + "/pads", torch::tensor({0L, 0L, pad[0], pad[1], 0L, 0L, pad[0], pad[1]}));
          auto* p = add("Pad", n.name + "/pad", {x, pads}, n.name + "/pad");
          auto* mode = p->add_attribute();
          mode->set_name("mode");
          mode->set_type(onnx::AttributeProto::STRING);
          mode->set_s("constant");
          src = n.name + "/pad";
        }
        auto* p = add("AveragePool", n.name, {src}, out);
        ints(p, "kernel_shape", pair(n, "kernel", 1));
        ints(p, "strides", pair(n, "stride", 1));
        ints(p, "pads", {0, 0, 0, 0});
        return Status::ok();
      }
      case LayerOp::kGlobalAvgPool: add("GlobalAveragePool", n.name, {x}, out); return Status::ok();
      case LayerOp::kFlatten: int1(add("Flatten", n.name, {x}, out), "axis", 1); return Status::ok();
      case LayerOp::kLinear: {
        auto w = tensor(n, "weight");
        if (!w) return w.status();
        std::string b;
        if (n.tensors.count("bias")) {
          auto r = tensor(n, "bias");
          if (!r) return r.status();
          b = *r;
        } else {
          b = constant(n.name + "/zero_bias", torch::zeros({tensors_.at(n.tensors.at("weight")).size(0)}));
        }
        int1(add("Gemm", n.name, {x, *w, b}, out), "transB", 1);
        return Status::ok();
      }
      case LayerOp::kAdd: {
        std::string acc = in[0];
        for (std::size_t i = 1; i < in.size(); ++i) {
          const std::string o = i + 1 == in.size() ? out : n.name + "/sum" + std::to_string(i);
          add("Add", i + 1 == in.size() ? n.name : o, {acc, in[i]}, o);
          acc = o;
        }
        if (in.size() == 1) add("Identity", n.name, {acc}, out);
        return Status::ok();
      }
      case LayerOp::kConcat:
        int1(add("Concat", n.name, in, out), "axis", n.attrs.value("axis", std::int64_t{1}));
        return Status::ok();
      case LayerOp::kSoftmax:
        int1(add("Softmax", n.name, {x}, out), "axis", n.attrs.value("axis", std::int64_t{1}));
        return Status::ok();
      case LayerOp::kUpsample: {
        const std::string mode = n.attrs.value("mode", std::string("nearest"));
        if (mode != "nearest" && mode != "bilinear")
          return Status::unsupported("onnx export: node '" + n.name + "' (upsample): mode '" + mode +
                                     "' is not nearest or bilinear");
        const auto s = static_cast<float>(n.attrs.value("scale", 2.0));
        const std::string roi = constant("kohl.const.empty_roi", torch::empty({0}));
        const std::string scales = constant(n.name + "/scales", torch::tensor({1.0f, 1.0f, s, s}));
        auto* r = add("Resize", n.name, {x, roi, scales}, out);
        auto str = [&](const char* key, const char* value) {
          auto* a = r->add_attribute();
          a->set_name(key);
          a->set_type(onnx::AttributeProto::STRING);
          a->set_s(value);
        };
        if (mode == "nearest") {
          str("mode", "nearest");
          str("coordinate_transformation_mode", "asymmetric");
          str("nearest_mode", "floor");
        } else {
          str("mode", "linear");
          str("coordinate_transformation_mode", "pytorch_half_pixel");
        }
        return Status::ok();
      }
      default: break;
    }
    return Status::unsupported("onnx export: node '" + n.name + "' has op " + to_string(n.op) +
                               ", which this exporter cannot express");
  }

  const NetGraph& graph_;
  onnx::GraphProto* g_;
  std::map<std::string, torch::Tensor> tensors_;
  std::map<std::string, std::string> value_;
  std::set<std::string> written_;
  std::string final_;
};

class OnnxExporter final : public IExporter {
 public:
  OnnxExporter(const ParamValues&, IHostServices&) {}

  std::string format() const override { return "onnx"; }
  std::vector<LayerOp> supported_ops() const override { return kOps; }

  Status export_model(IBackbone& backbone, const NetGraph& graph, const ExportRequest& request,
                      IProgress& progress) const override {
    try {
      return write(backbone, graph, request, progress);
    } catch (const std::exception& e) {
      return Status::error("onnx export failed: " + std::string(e.what()));
    }
  }

 private:
  static Status write(IBackbone& backbone, const NetGraph& graph, const ExportRequest& request, IProgress& progress) {
    if (request.out_path.empty()) return Status::invalid("onnx export: no output path");
    if (graph.input_shape.size() != 3)
      return Status::invalid("onnx export: the graph's input_shape must be C,H,W");
    progress.phase("onnx", static_cast<std::int64_t>(graph.nodes.size()));
    onnx::ModelProto model;
    model.set_ir_version(onnx::IR_VERSION);
    model.set_producer_name("Kohl");
    model.set_producer_version(request.metadata.value("kohl_version", std::string()));
    model.set_domain("org.kohl");
    model.set_doc_string("Exported by org.kohl.export.onnx from a NetGraph; preprocessing in metadata_props['kohl']");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    auto* meta = model.add_metadata_props();
    meta->set_key("kohl");
    meta->set_value(request.metadata.dump());

    auto* g = model.mutable_graph();
    g->set_name(request.metadata.value("name", std::string("kohl_model")));
    OnnxWriter writer(backbone, graph, g);
    if (Status s = writer.write(progress); !s) return s;

    // The output's shape: one forward pass on zeros, in eval mode (the running statistics stay as they are).
    std::vector<std::int64_t> out_shape;
    {
      torch::NoGradGuard no_grad;
      auto& m = backbone.module();
      const bool training = m.is_training();
      m.eval();
      auto params = m.parameters();
      auto options = torch::TensorOptions().dtype(torch::kFloat32);
      if (!params.empty()) options = options.device(params.front().device());
      auto y = backbone.forward(torch::zeros({1, graph.input_shape[0], graph.input_shape[1], graph.input_shape[2]}, options));
      if (training) m.train();
      if (!y.defined()) return Status::error("onnx export: the backbone's forward() failed (its message is in the log)");
      for (auto d : y.sizes()) out_shape.push_back(d);
    }
    auto value_info = [](onnx::ValueInfoProto* v, const std::string& name, const std::vector<std::int64_t>& dims) {
      v->set_name(name);
      auto* t = v->mutable_type()->mutable_tensor_type();
      t->set_elem_type(onnx::TensorProto::FLOAT);
      auto* shape = t->mutable_shape();
      shape->add_dim()->set_dim_param("batch");
      for (std::size_t i = 1; i < dims.size(); ++i) shape->add_dim()->set_dim_value(dims[i]);
    };
    value_info(g->add_input(), graph.input, {1, graph.input_shape[0], graph.input_shape[1], graph.input_shape[2]});
    value_info(g->add_output(), "output", out_shape);
    if (progress.cancelled()) return Status::cancelled("onnx export cancelled");

    const fs::path out = request.out_path;
    const fs::path tmp = out.string() + ".tmp";
    {
      std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
      if (!f || !model.SerializeToOstream(&f))
        return Status::io_error(tmp.string() + ": cannot write the ONNX model");
      f.close();
      if (!f) return Status::io_error(tmp.string() + ": cannot write the ONNX model");
    }
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) {
      fs::remove(tmp, ec);
      return Status::io_error(out.string() + ": cannot write the ONNX model: " + ec.message());
    }
    progress.message("wrote " + out.string());
    return Status::ok();
  }
};

Status register_plugins(IRegistrar& r) {
  PluginDescriptor d;
  d.kind = PluginKind::kExporter;
  d.id = "org.kohl.export.onnx";
  d.name = "ONNX exporter";
  d.version = "1.0.0";
  d.summary =
      "Writes a backbone that describes its graph as an ONNX model (opset 13, BatchNorm kept, trained tensors as "
      "initializers, metadata in metadata_props) that ONNX runtimes and OpenCV's DNN module run.";
  d.license_notes =
      "Apache-2.0 (part of Kohl); writes with the ONNX project's protobuf classes (Apache-2.0, Debian libonnx). "
      "The exported file holds the run's trained weights: their terms follow the training data's licences.";
  d.create = &create_plugin<OnnxExporter>;
  d.destroy = &destroy_plugin;
  return r.add(d);
}

}  // namespace

KOHL_PLUGIN(register_plugins)

// org.kohl.export.torchscript: writes a trained backbone as a TorchScript module that
// Python's torch.jit.load and LibTorch's torch::jit::load run without Kohl.
//
// LibTorch's C++ API has no tracer, so the module is generated from the backbone's
// NetGraph: every tensor the graph names is registered on a fresh torch::jit::Module
// (parameters as parameters, running statistics as buffers, under the module path with
// '.' written as '_'), forward() is written as TorchScript source, one aten call per node,
// and compiled with Module::define. Inference semantics: BatchNorm uses its running
// statistics, Dropout is the identity. The request's metadata (preprocessing, labels,
// versions) is stored in the archive as the extra file "kohl.json"
// (torch.jit.load(path, _extra_files={"kohl.json": ""}) reads it back).
#include <cctype>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <torch/script.h>

#include "kohl/sdk/exporter.hpp"
#include "kohl/sdk/plugin.hpp"

namespace {

using namespace kohl::sdk;
namespace fs = std::filesystem;

const std::vector<LayerOp> kOps = {LayerOp::kConv2d,    LayerOp::kBatchNorm2d,   LayerOp::kReLU,    LayerOp::kReLU6,
                                   LayerOp::kLeakyReLU, LayerOp::kSigmoid,       LayerOp::kTanh,    LayerOp::kMaxPool2d,
                                   LayerOp::kAvgPool2d, LayerOp::kGlobalAvgPool, LayerOp::kFlatten, LayerOp::kLinear,
                                   LayerOp::kDropout,   LayerOp::kAdd,           LayerOp::kConcat,  LayerOp::kUpsample,
                                   LayerOp::kSoftmax};

std::string num(double v) {  // shortest round-trip text of a double, always with a '.' or 'e'
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// "[h, w]" from an attribute written as [h, w] or as one integer.
std::string pair(const LayerNode& n, const char* key, std::int64_t fallback) {
  std::int64_t h = fallback, w = fallback;
  if (auto it = n.attrs.find(key); it != n.attrs.end()) {
    if (it->is_array()) {
      h = (*it)[0].get<std::int64_t>();
      w = (*it)[1].get<std::int64_t>();
    } else {
      h = w = it->get<std::int64_t>();
    }
  }
  return "[" + std::to_string(h) + ", " + std::to_string(w) + "]";
}

// A TorchScript identifier for a tensor path ("layer1.0.conv1.weight" -> "layer1_0_conv1_weight").
std::string ident(const std::string& path) {
  std::string s = "t_";
  for (char c : path) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

class TorchScriptExporter final : public IExporter {
 public:
  TorchScriptExporter(const ParamValues&, IHostServices&) {}

  std::string format() const override { return "torchscript"; }
  std::vector<LayerOp> supported_ops() const override { return kOps; }

  Status export_model(IBackbone& backbone, const NetGraph& graph, const ExportRequest& request,
                      IProgress& progress) const override {
    try {
      return write(backbone, graph, request, progress);
    } catch (const std::exception& e) {
      return Status::error("torchscript export failed: " + std::string(e.what()));
    }
  }

  // The generated forward() source (exposed for the error messages and the docs).
  static Result<std::string> source(const NetGraph& graph, const std::map<std::string, std::string>& idents,
                                    std::set<std::string>& used) {
    const std::set<LayerOp> ok(kOps.begin(), kOps.end());
    std::map<std::string, std::string> value{{graph.input, "x_in"}};
    std::ostringstream py;
    py << "def forward(self, x_in: Tensor) -> Tensor:\n";
    int k = 0;
    for (const auto& n : graph.nodes) {
      if (!ok.count(n.op))
        return Status::unsupported("torchscript export: node '" + n.name + "' has op " + to_string(n.op) +
                                   ", which this exporter cannot express");
      if (value.count(n.name)) return Status::invalid("torchscript export: node name '" + n.name + "' used twice");
      std::vector<std::string> in;
      for (const auto& i : n.inputs) {
        auto it = value.find(i);
        if (it == value.end())
          return Status::invalid("torchscript export: node '" + n.name + "' reads '" + i + "', which no earlier node makes");
        in.push_back(it->second);
      }
      if (in.empty()) return Status::invalid("torchscript export: node '" + n.name + "' has no inputs");
      auto t = [&](const char* role, bool required) -> Result<std::string> {
        auto r = n.tensors.find(role);
        if (r == n.tensors.end()) {
          if (required) return Status::invalid("torchscript export: node '" + n.name + "' lacks its " + role + " tensor");
          return std::string("None");
        }
        auto id = idents.find(r->second);
        if (id == idents.end())
          return Status::invalid("torchscript export: node '" + n.name + "': the module has no tensor named '" +
                                 r->second + "'");
        used.insert(r->second);
        return "self." + id->second;
      };
      const std::string x = in[0];
      const std::string y = "x" + std::to_string(k++);
      std::string expr;
      switch (n.op) {
        case LayerOp::kConv2d: {
          auto w = t("weight", true), b = t("bias", false);
          if (!w) return w.status();
          if (!b) return b.status();
          expr = "torch.conv2d(" + x + ", " + *w + ", " + *b + ", " + pair(n, "stride", 1) + ", " +
                 pair(n, "padding", 0) + ", [1, 1], " + std::to_string(n.attrs.value("groups", std::int64_t{1})) + ")";
          break;
        }
        case LayerOp::kBatchNorm2d: {
          auto w = t("weight", true), b = t("bias", true), m = t("running_mean", true), v = t("running_var", true);
          for (auto* r : {&w, &b, &m, &v})
            if (!*r) return r->status();
          expr = "torch.batch_norm(" + x + ", " + *w + ", " + *b + ", " + *m + ", " + *v + ", False, 0.0, " +
                 num(n.attrs.value("eps", 1e-5)) + ", False)";
          break;
        }
        case LayerOp::kReLU: expr = "torch.relu(" + x + ")"; break;
        case LayerOp::kReLU6: expr = "torch.clamp(" + x + ", 0.0, 6.0)"; break;
        case LayerOp::kLeakyReLU: expr = "torch.leaky_relu(" + x + ", " + num(n.attrs.value("slope", 0.01)) + ")"; break;
        case LayerOp::kSigmoid: expr = "torch.sigmoid(" + x + ")"; break;
        case LayerOp::kTanh: expr = "torch.tanh(" + x + ")"; break;
        case LayerOp::kMaxPool2d:
          expr = "torch.max_pool2d(" + x + ", " + pair(n, "kernel", 1) + ", " + pair(n, "stride", 1) + ", " +
                 pair(n, "padding", 0) + ", [1, 1], False)";
          break;
        case LayerOp::kAvgPool2d:
          expr = "torch.avg_pool2d(" + x + ", " + pair(n, "kernel", 1) + ", " + pair(n, "stride", 1) + ", " +
                 pair(n, "padding", 0) + ", False, True)";
          break;
        case LayerOp::kGlobalAvgPool: expr = "torch.adaptive_avg_pool2d(" + x + ", [1, 1])"; break;
        case LayerOp::kFlatten: expr = "torch.flatten(" + x + ", 1)"; break;
        case LayerOp::kLinear: {
          auto w = t("weight", true), b = t("bias", false);
          if (!w) return w.status();
          if (!b) return b.status();
          expr = "torch.linear(" + x + ", " + *w + ", " + *b + ")";
          break;
        }
        case LayerOp::kDropout: expr = x; break;  // identity at inference
        case LayerOp::kAdd:
          expr = in[0];
          for (std::size_t i = 1; i < in.size(); ++i) expr += " + " + in[i];
          break;
        case LayerOp::kConcat: {
          expr = "torch.cat([";
          for (std::size_t i = 0; i < in.size(); ++i) expr += (i ? ", " : "") + in[i];
          expr += "], " + std::to_string(n.attrs.value("axis", std::int64_t{1})) + ")";
          break;
        }
        case LayerOp::kUpsample: {
          const double s = n.attrs.value("scale", 2.0);
          const std::string mode = n.attrs.value("mode", std::string("nearest"));
          if (mode == "nearest")
            expr = "torch.upsample_nearest2d(" + x + ", None, [" + num(s) + ", " + num(s) + "])";
          else if (mode == "bilinear")
            expr = "torch.upsample_bilinear2d(" + x + ", None, False, [" + num(s) + ", " + num(s) + "])";
          else
            return Status::unsupported("torchscript export: node '" + n.name + "' (upsample): mode '" + mode +
                                       "' is not nearest or bilinear");
          break;
        }
        case LayerOp::kSoftmax:
          expr = "torch.softmax(" + x + ", " + std::to_string(n.attrs.value("axis", std::int64_t{1})) + ")";
          break;
      }
      py << "    " << y << " = " << expr << "\n";
      value[n.name] = y;
    }
    if (graph.outputs.size() != 1)
      return Status::unsupported("torchscript export: the graph has " + std::to_string(graph.outputs.size()) +
                                 " outputs; this exporter writes one");
    auto out = value.find(graph.outputs[0]);
    if (out == value.end()) return Status::invalid("torchscript export: output '" + graph.outputs[0] + "' is no node");
    py << "    return " << out->second << "\n";
    return py.str();
  }

 private:
  static Status write(IBackbone& backbone, const NetGraph& graph, const ExportRequest& request, IProgress& progress) {
    if (request.out_path.empty()) return Status::invalid("torchscript export: no output path");
    progress.phase("torchscript", static_cast<std::int64_t>(graph.nodes.size()) + 1);
    // Every tensor of the module, on the CPU, detached: what the graph may name.
    std::map<std::string, torch::Tensor> tensors;
    std::map<std::string, bool> is_buffer;
    for (const auto& p : backbone.module().named_parameters()) {
      tensors[p.key()] = p.value();
      is_buffer[p.key()] = false;
    }
    for (const auto& b : backbone.module().named_buffers()) {
      tensors[b.key()] = b.value();
      is_buffer[b.key()] = true;
    }
    std::map<std::string, std::string> idents;
    std::set<std::string> taken;
    for (const auto& [path, t] : tensors) {
      std::string id = ident(path);
      while (!taken.insert(id).second) id += "_";
      idents[path] = id;
    }
    std::set<std::string> used;
    auto src = source(graph, idents, used);
    if (!src) return src.status();
    if (progress.cancelled()) return Status::cancelled("torchscript export cancelled");

    torch::NoGradGuard no_grad;
    torch::jit::Module m("KohlNet");
    for (const auto& path : used) {
      torch::Tensor t = tensors[path].detach().to(torch::kCPU).clone().contiguous();
      if (is_buffer[path]) m.register_buffer(idents[path], t);
      else m.register_parameter(idents[path], t, /*is_buffer=*/false);
      progress.advance(1);
    }
    m.define(*src);
    m.eval();
    progress.advance(1);
    if (progress.cancelled()) return Status::cancelled("torchscript export cancelled");

    // Whole or absent: written beside, then renamed.
    const fs::path out = request.out_path;
    const fs::path tmp = out.string() + ".tmp";
    torch::jit::ExtraFilesMap extra{{"kohl.json", request.metadata.dump(2)}};
    m.save(tmp.string(), extra);
    std::error_code ec;
    fs::rename(tmp, out, ec);
    if (ec) {
      fs::remove(tmp, ec);
      return Status::io_error(out.string() + ": cannot write the TorchScript module: " + ec.message());
    }
    progress.message("wrote " + out.string());
    return Status::ok();
  }
};

Status register_plugins(IRegistrar& r) {
  PluginDescriptor d;
  d.kind = PluginKind::kExporter;
  d.id = "org.kohl.export.torchscript";
  d.name = "TorchScript exporter";
  d.version = "1.0.0";
  d.summary =
      "Writes a backbone that describes its graph as a TorchScript module (generated forward(), the trained "
      "tensors, metadata in the extra file kohl.json) that torch.jit.load runs in Python or C++.";
  d.license_notes =
      "Apache-2.0 (part of Kohl). The exported file holds the run's trained weights: their terms follow the "
      "training data's licences (see the bundle's model card).";
  d.create = &create_plugin<TorchScriptExporter>;
  d.destroy = &destroy_plugin;
  return r.add(d);
}

}  // namespace

KOHL_PLUGIN(register_plugins)

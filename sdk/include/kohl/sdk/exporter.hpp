// IExporter: writes a trained backbone in a format other software loads.
#pragma once

#include <string>
#include <vector>

#include "kohl/sdk/backbone.hpp"

namespace kohl::sdk {

struct ExportRequest {
  std::string out_path;
  Json metadata = Json::object();  // preprocessing, labels, versions: written beside the model
};

class IExporter : public IPlugin {
 public:
  virtual std::string format() const = 0;  // "onnx", "torchscript"
  // The layers this exporter can express; export_model() fails with kUnsupported naming
  // the first node whose op is not among them.
  virtual std::vector<LayerOp> supported_ops() const = 0;
  virtual Status export_model(IBackbone& backbone, const NetGraph& graph, const ExportRequest& request,
                              IProgress& progress) const = 0;
};

}  // namespace kohl::sdk

// See model_io.hpp.
#include "model_io.hpp"

#include <exception>

namespace kohl::train {

using sdk::Result;
using sdk::Status;

Result<BuiltModel> make_model(core::PluginHost& host, const std::string& id, const sdk::Json& params, int outputs,
                              int size, std::uint64_t seed, bool regress) {
  const core::PluginRecord* rec = host.find(id);
  if (!rec || !rec->descriptor)
    return Status::invalid("no backbone plugin '" + id + "' loaded (see `kohl plugins list`; plugins are found in "
                           "build/plugins and KOHL_PLUGIN_PATH)");
  auto made = host.create<sdk::IBackbone>(id, params);
  if (!made) return made.status();
  BuiltModel m;
  m.backbone = made.value();
  m.id = id;
  m.version = rec->version;
  m.params = params;
  torch::manual_seed(seed);
  sdk::BackboneConfig cfg;
  cfg.in_channels = 3;
  cfg.height = size;
  cfg.width = size;
  cfg.num_outputs = outputs;
  cfg.head = regress ? sdk::HeadKind::kRegress : sdk::HeadKind::kClassify;
  if (Status s = m.backbone->build(cfg); !s) return Status::invalid(id + ": build failed: " + s.message());
  return m;
}

Status load_model_weights(torch::nn::Module& module, const std::string& checkpoint_path) {
  try {
    torch::serialize::InputArchive in, model_in;
    in.load_from(checkpoint_path);
    in.read("model", model_in);
    module.load(model_in);
  } catch (const std::exception& e) {
    return Status::invalid(checkpoint_path + ": not a checkpoint Kohl can load: " + e.what());
  }
  return Status::ok();
}

}  // namespace kohl::train

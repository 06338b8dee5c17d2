// Building a run's backbone and loading a checkpoint's weights into it: shared by the
// trainer (training, resume, evaluation) and export.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "kohl/core/plugin_host.hpp"
#include "kohl/sdk/backbone.hpp"

namespace kohl::train {

struct BuiltModel {
  std::shared_ptr<sdk::IBackbone> backbone;
  std::string id, version;
  sdk::Json params;
};

// Creates backbone plugin `id` with `params` and builds it for 3-channel size x size inputs
// and `outputs` outputs (regression head when `regress`), after torch::manual_seed(seed).
sdk::Result<BuiltModel> make_model(core::PluginHost& host, const std::string& id, const sdk::Json& params, int outputs,
                                   int size, std::uint64_t seed, bool regress = false);

// Loads the "model" archive of a Kohl checkpoint file into `module` (the caller verified
// the file with RunStore::verify_checkpoint). The error names the file.
sdk::Status load_model_weights(torch::nn::Module& module, const std::string& checkpoint_path);

}  // namespace kohl::train

// Loads libkohl_train.so on first use (see train_api.hpp) and forwards to it.
#include "kohl/core/train_api.hpp"

#include <mutex>

#include "kohl/core/load_beside.hpp"

namespace kohl::core {

namespace {

using TrainFn = void (*)(const TrainRequest*, sdk::IProgress*, sdk::Result<sdk::Json>*);
using EvalFn = void (*)(const EvalRequest*, sdk::IProgress*, sdk::Result<sdk::Json>*);

struct Library {
  TrainFn train = nullptr;
  EvalFn evaluate = nullptr;
  std::string error;
};

const Library& library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    detail::load_entry_points("libkohl_train.so", "training", lib.error, std::pair{"kohl_train_run", &lib.train},
                              std::pair{"kohl_train_evaluate", &lib.evaluate});
  });
  return lib;
}

}  // namespace

sdk::Result<sdk::Json> train(const TrainRequest& request, sdk::IProgress& progress) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  sdk::Result<sdk::Json> out = sdk::Status::error("training did not report a result");
  lib.train(&request, &progress, &out);
  return out;
}

sdk::Result<sdk::Json> evaluate(const EvalRequest& request, sdk::IProgress& progress) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  sdk::Result<sdk::Json> out = sdk::Status::error("evaluation did not report a result");
  lib.evaluate(&request, &progress, &out);
  return out;
}

// ---- export: its own entry point, looked up on first use (same library) -------------------

namespace {
using ExportFn = void (*)(const ExportRequest*, sdk::IProgress*, sdk::Result<sdk::Json>*);
}  // namespace

sdk::Result<sdk::Json> export_run(const ExportRequest& request, sdk::IProgress& progress) {
  static ExportFn fn = nullptr;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    detail::load_entry_points("libkohl_train.so", "export", error, std::pair{"kohl_train_export", &fn});
  });
  if (!fn) return sdk::Status::error(error.empty() ? "export unavailable" : error);
  sdk::Result<sdk::Json> out = sdk::Status::error("export did not report a result");
  fn(&request, &progress, &out);
  return out;
}

}  // namespace kohl::core

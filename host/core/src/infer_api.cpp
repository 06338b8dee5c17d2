// Loads libkohl_train.so on first use (see infer_api.hpp) and forwards to its inference
// entry points.
#include "kohl/core/infer_api.hpp"

#include <mutex>

#include "kohl/core/load_beside.hpp"

namespace kohl::core {

namespace {

struct RunArgs {
  const float* input;
  std::int64_t n, c, h, w;
  std::vector<float>* out;
  std::int64_t* outputs;
};

using OpenFn = void (*)(const std::string*, int, int, sdk::Result<void*>*, int*);
using RunFn = void (*)(void*, const RunArgs*, sdk::Status*);
using CloseFn = void (*)(void*);

struct Library {
  OpenFn open = nullptr;
  RunFn run = nullptr;
  CloseFn close = nullptr;
  std::string error;
};

const Library& library() {
  static Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    detail::load_entry_points("libkohl_train.so", "inference", lib.error, std::pair{"kohl_infer_open", &lib.open},
                              std::pair{"kohl_infer_run", &lib.run}, std::pair{"kohl_infer_close", &lib.close});
  });
  return lib;
}

}  // namespace

sdk::Result<std::unique_ptr<InferenceModel>> InferenceModel::open(const std::string& torchscript_file, int threads,
                                                                  bool optimize) {
  const auto& lib = library();
  if (!lib.error.empty()) return sdk::Status::error(lib.error);
  sdk::Result<void*> handle = sdk::Status::error("inference did not report a result");
  int optimized = 0;
  lib.open(&torchscript_file, threads, optimize ? 1 : 0, &handle, &optimized);
  if (!handle) return handle.status();
  return std::unique_ptr<InferenceModel>(new InferenceModel(handle.value(), torchscript_file, optimized != 0));
}

InferenceModel::~InferenceModel() {
  if (handle_) library().close(handle_);
}

sdk::Status InferenceModel::run(const float* input, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w,
                                std::vector<float>& out, std::int64_t& outputs) const {
  RunArgs args{input, n, c, h, w, &out, &outputs};
  sdk::Status status = sdk::Status::error("inference did not report a result");
  library().run(handle_, &args, &status);
  return status;
}

}  // namespace kohl::core

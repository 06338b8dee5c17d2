// Inference entry points of libkohl_train.so for core::InferenceModel (infer_api.hpp):
// a TorchScript module loaded once, run under InferenceMode from any thread.
#include <torch/script.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "kohl/core/log.hpp"
#include "kohl/sdk/status.hpp"

namespace {

struct RunArgs {  // as in host/core/src/infer_api.cpp
  const float* input;
  std::int64_t n, c, h, w;
  std::vector<float>* out;
  std::int64_t* outputs;
};

struct Model {
  torch::jit::script::Module module;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) void kohl_infer_open(const std::string* file, int threads,
                                                                       int optimize, kohl::sdk::Result<void*>* out,
                                                                       int* optimized) {
  try {
    if (threads > 0) {
      torch::set_num_threads(threads);
    }
    auto m = std::make_unique<Model>();
    m->module = torch::jit::load(*file, torch::kCPU);
    m->module.eval();
    *optimized = 0;
    if (optimize) {
      try {
        // optimize_for_inference freezes only modules with a "training" attribute, which
        // modules built in C++ (Kohl's TorchScript export) lack: freeze first, explicitly.
        auto frozen = torch::jit::freeze(m->module);
        m->module = torch::jit::optimize_for_inference(frozen);
        *optimized = 1;
      } catch (const std::exception& e) {
        kohl::core::logger()->warn("{}: runs unoptimised (optimize_for_inference failed: {})", *file, e.what());
      }
    }
    *out = static_cast<void*>(m.release());
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (auto nl = why.find('\n'); nl != std::string::npos) why = why.substr(0, nl);
    *out = kohl::sdk::Status::invalid(*file + ": not a loadable TorchScript model: " + why);
  }
}

extern "C" __attribute__((visibility("default"))) void kohl_infer_run(void* handle, const RunArgs* a,
                                                                      kohl::sdk::Status* status) {
  try {
    auto* m = static_cast<Model*>(handle);
    c10::InferenceMode guard;
    // from_blob does not copy: the caller's buffer outlives the call.
    auto input = torch::from_blob(const_cast<float*>(a->input), {a->n, a->c, a->h, a->w}, torch::kFloat32);
    auto result = m->module.forward({input});
    torch::Tensor y = result.isTensor() ? result.toTensor() : result.toTuple()->elements().at(0).toTensor();
    y = y.to(torch::kFloat32).contiguous().reshape({a->n, -1});
    *a->outputs = y.size(1);
    a->out->assign(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
    *status = kohl::sdk::Status::ok();
  } catch (const std::exception& e) {
    std::string why = e.what();
    if (auto nl = why.find('\n'); nl != std::string::npos) why = why.substr(0, nl);
    *status = kohl::sdk::Status::error("inference failed: " + why);
  }
}

extern "C" __attribute__((visibility("default"))) void kohl_infer_close(void* handle) {
  delete static_cast<Model*>(handle);
}

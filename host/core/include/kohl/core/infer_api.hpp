// A deployed network run for inference: a TorchScript file (a bundle's model.pt) loaded
// through libkohl_train.so, so that callers (the server, later the GUI) never link
// LibTorch. Inputs are preprocessed planes (kohl/sdk/preprocess.hpp).
//
// Threads: run() may be called from several threads at once (TorchScript inference does not
// mutate the module); `threads` is LibTorch's intra-op thread count for the process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kohl/sdk/status.hpp"

namespace kohl::core {

class InferenceModel {
 public:
  // Loads the TorchScript file; the error names the file and why it cannot be loaded.
  // optimize: freeze the module and let LibTorch rewrite it for inference
  // (torch::jit::freeze + optimize_for_inference: BatchNorm folded into the convolutions,
  // oneDNN (MKLDNN) convolutions and layouts on CPU). Outputs stay within ~1e-5 of the unoptimised module; batch-1 latency on
  // CPU drops several-fold (bench/infer). When the rewrite fails, the module runs as loaded.
  static sdk::Result<std::unique_ptr<InferenceModel>> open(const std::string& torchscript_file, int threads,
                                                           bool optimize = true);
  ~InferenceModel();
  InferenceModel(const InferenceModel&) = delete;
  InferenceModel& operator=(const InferenceModel&) = delete;

  // input: n x c x h x w floats. Returns n x outputs floats (row-major) in `out`.
  sdk::Status run(const float* input, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w,
                  std::vector<float>& out, std::int64_t& outputs) const;

  const std::string& file() const { return file_; }
  bool optimized() const { return optimized_; }

 private:
  InferenceModel(void* handle, std::string file, bool optimized)
      : handle_(handle), file_(std::move(file)), optimized_(optimized) {}
  void* handle_;
  std::string file_;
  bool optimized_;
};

}  // namespace kohl::core

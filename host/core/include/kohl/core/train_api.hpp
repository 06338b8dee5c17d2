// Training and evaluation jobs, as core's callers (the CLI, later the GUI's child process
// and the server) start them. The work itself is in libkohl_train.so (host/train/), the
// only host library that links LibTorch: core loads it on the first call, so commands
// that never train start without loading LibTorch (~0.8 s).
//
// Both jobs open the project themselves (they are its single writer while they run),
// report through `progress`, and stop at a batch boundary when progress.cancelled().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kohl/sdk/params.hpp"
#include "kohl/sdk/progress.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::core {

struct TrainRequest {
  std::string project;                           // *.kohl path
  std::string snapshot;                          // the frozen data (kohl data snapshot)
  std::string backbone;                          // plugin id, e.g. org.kohl.backbone.small_cnn
  sdk::Json backbone_params = sdk::Json::object();  // --set key=value, validated by its schema
  std::string task = "classify";                 // classify | attributes | recommend
  std::string label_set;                         // classify: the label set to learn (attributes: taken as one set)
  std::vector<std::string> label_sets;           // attributes: one classification head per label set, in order
  std::vector<std::string> regions = {"lip"};    // recommend: palette regions to predict (CIELAB each)
  std::string targets = "palette";               // recommend: palette (recorded palette_* attributes) | measured
                                                 // (measured on the made-up image's regions)
  int epochs = 0;                                // 0: 10 for a new run, the run's own for --resume
  int batch = 32;
  int image_size = 128;                          // images are resized to image_size^2
  int threads = 2;                               // data-loading workers and LibTorch's intra-op threads
  std::uint64_t seed = 0;
  std::string optimizer = "adam";                // sgd | adam | adamw
  double lr = 1e-3;
  double momentum = 0.9;                         // sgd
  double weight_decay = 0.0;
  std::string schedule = "none";                 // none | step | cosine
  int warmup_epochs = 0;                         // linear warm-up before the schedule
  double clip_grad_norm = 0.0;                   // 0 = no clipping
  bool class_weights = false;                    // inverse-frequency weights in the loss
  int patience = 0;                              // early stopping on val loss after N epochs without gain; 0 = off
  std::vector<std::string> augmenters;           // augmenter plugin ids, default parameters, applied in order
  std::string device = "cpu";                    // cpu | cuda
  std::string resume;                            // run name: continue it from its last checkpoint
};

// Returns {"run", "status", "epochs_done", "best_epoch", "metrics": {last epoch's}, "checkpoint"}.
sdk::Result<sdk::Json> train(const TrainRequest& request, sdk::IProgress& progress);

struct EvalRequest {
  std::string project;
  std::string run;
  std::string snapshot;         // default: the run's snapshot
  std::string split = "test";
  std::string evaluator;        // default: org.kohl.eval.classify for classify runs
  int epoch = -1;               // checkpoint epoch; -1 = the last one
  int threads = 2;
  std::string predictions_csv;  // also write sample,true,pred,p_<class>... here
};

// Returns the evaluator's metrics JSON plus {"run", "snapshot", "split", "evaluation"}.
sdk::Result<sdk::Json> evaluate(const EvalRequest& request, sdk::IProgress& progress);

// ---- export (kohl export; docs/export.md) -------------------------------------------------

struct ExportRequest {
  std::string project;
  std::string run;
  std::string format = "bundle";  // torchscript | onnx | bundle
  std::string out;                // a file (torchscript, onnx) or a folder that must not exist or be empty (bundle)
  int epoch = -1;                 // checkpoint epoch; -1 = the last one
  int threads = 2;
};

// Builds the run's backbone from its recorded config, verifies and loads the checkpoint,
// writes the model with the exporter plugin (org.kohl.export.torchscript / .onnx) or a
// deploy bundle (both models, preprocessing, labels or palette, model card, manifest),
// and checks what it wrote (a bundle with core::verify_bundle). Returns {"run", "epoch",
// "format", "out", "files": [...], "checks": {...}}.
sdk::Result<sdk::Json> export_run(const ExportRequest& request, sdk::IProgress& progress);

}  // namespace kohl::core

// IEvaluator: turns per-sample predictions into metrics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kohl/sdk/plugin.hpp"
#include "kohl/sdk/progress.hpp"

namespace kohl::sdk {

struct Prediction {
  std::string sample_id;
  std::int64_t truth = -1;         // classification: true class index
  std::int64_t predicted = -1;     // classification: predicted class index
  std::vector<double> probs;       // classification: one per class, summing to 1
  std::vector<double> values;      // regression: predicted values
  std::vector<double> targets;     // regression: reference values
  std::string band;                // skin-tone band the sample belongs to ("" = unknown)
};

struct EvalInput {
  std::string task;                  // "classify" | "attributes" | "recommend"
  std::vector<std::string> classes;  // classification: class names by index
  std::vector<Prediction> predictions;
  std::uint64_t seed = 0;            // for bootstrap intervals
};

class IEvaluator : public IPlugin {
 public:
  // Returns a JSON object whose "metrics" holds the headline metrics
  // ({"metrics": {"accuracy": {"value": .., "ci95": [..]}, ...}, ...}); Kohl's evaluators add
  // per-class, per-band, ROC and calibration data (shape: Kohl's docs/evaluation.md).
  // Polls progress.cancelled() between bootstrap rounds.
  virtual Result<Json> evaluate(const EvalInput& input, IProgress& progress) const = 0;
};

}  // namespace kohl::sdk

// The arithmetic of the evaluator plugins, on validated inputs. Every statistic is a
// function of per-sample weights: all ones for the point value, resample counts for the
// bootstrap (bootstrap.hpp). Definitions follow scikit-learn 1.2 (Debian 12's
// python3-sklearn), the oracle of tests/plugins/evaluate.test.cpp; where sklearn has no
// answer (an AUC for a class absent from the truth, ECE) the choice is stated here and in
// docs/evaluation.md.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace kohl::eval {

// ---- classification ----------------------------------------------------------------------

// Classification predictions, validated (labels in 0..k-1; probs either absent for every
// sample or k finite non-negative numbers summing to 1 within 1e-3 for every sample), with
// what depends only on the sample precomputed.
struct ClassifyData {
  std::size_t k = 0;
  std::vector<int> truth, predicted;
  bool has_probs = false;
  std::vector<double> probs;  // n x k, row-major, as given
  // log_loss term: -log of the true class's probability after sklearn's clip to
  // [eps, 1 - eps] (eps = DBL_EPSILON, its "auto") and renormalisation of the row.
  std::vector<double> nll;
  // Calibration (top-label): confidence = max probability, correct = argmax == truth (the
  // first maximum on ties, as numpy.argmax), bin = the equal-width bin (lo, hi] it falls in.
  std::vector<double> confidence;
  std::vector<unsigned char> top_correct;
  std::vector<int> bin;
  std::vector<double> bin_edges;  // numpy.linspace(0, 1, bins + 1)
  // Per class: sample indices by descending probs[:, c] (ROC, AUC).
  std::vector<std::vector<std::uint32_t>> by_score;
  std::size_t n() const { return truth.size(); }
};

// `probs` is n x k row-major or empty. ece_bins >= 1.
ClassifyData prepare_classify(std::vector<int> truth, std::vector<int> predicted, std::vector<double> probs,
                              std::size_t k, int ece_bins);

struct CalibrationBin {
  double lo = 0, hi = 0;
  double count = 0, confidence_sum = 0, correct_sum = 0;
};

// NaN = undefined. Per-class vectors have k entries; confusion is k x k (rows = truth,
// columns = predicted) of summed weights.
struct ClassifyStats {
  double accuracy = 0, balanced_accuracy = 0;
  double precision_macro = 0, recall_macro = 0, f1_macro = 0;
  double precision_micro = 0, recall_micro = 0, f1_micro = 0;
  double precision_weighted = 0, recall_weighted = 0, f1_weighted = 0;
  double roc_auc_macro = 0, ece = 0, log_loss = 0;  // NaN without probabilities
  std::vector<double> precision, recall, f1, support, auc;
  std::vector<double> confusion;
  std::vector<CalibrationBin> bins;
};

// weights: one per sample, summing to a positive number.
ClassifyStats classify_stats(const ClassifyData& d, const std::vector<double>& weights);

// sklearn.metrics.roc_curve(truth == c, probs[:, c]) with drop_intermediate=True: the
// corners of the curve, starting at (0, 0). nullopt when the truth has no positive or no
// negative for class c (sklearn warns and returns NaNs; its roc_auc_score raises).
struct RocCurve {
  std::vector<double> fpr, tpr;
};
std::optional<RocCurve> roc_curve(const ClassifyData& d, std::size_t c);

// ---- shade recommendation -----------------------------------------------------------------

// CIEDE2000 between predicted and reference Lab, n samples x r regions.
struct RecommendData {
  std::size_t regions = 0;
  std::vector<double> delta_e;                        // n x r, row-major
  std::vector<std::vector<std::uint32_t>> by_region;  // per region: samples by ascending dE
  std::vector<std::uint32_t> pooled;                  // (sample * r + region) by ascending dE
  std::size_t n() const { return regions == 0 ? 0 : delta_e.size() / regions; }
};

// values / targets: n x (3 r) concatenated L, a, b triples, row-major.
RecommendData prepare_recommend(const std::vector<double>& values, const std::vector<double>& targets,
                                std::size_t n, std::size_t regions);

// Thresholds: 2.3 is the CIEDE2000 just-noticeable difference usually quoted (Sharma 2003);
// 5 a clearly visible but "same shade family" difference. Shares count dE strictly below.
constexpr double kJndDeltaE = 2.3;
constexpr double kVisibleDeltaE = 5.0;

struct DeltaESummary {
  double mean = 0, median = 0, share_under_2_3 = 0, share_under_5 = 0;
};
struct RecommendStats {
  std::vector<DeltaESummary> region;
  DeltaESummary overall;  // pooled over every (sample, region) pair
};

RecommendStats recommend_stats(const RecommendData& d, const std::vector<double>& weights);

}  // namespace kohl::eval

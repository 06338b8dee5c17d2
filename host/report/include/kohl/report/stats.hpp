// Paired significance tests for comparing runs evaluated on the same test samples:
// McNemar's test on per-sample correctness and a paired bootstrap of any metric's
// difference. Pure functions, no I/O; called by the compare page (report.hpp) and checked
// against scipy/scikit-learn in tests/report/stats.test.cpp (tests/oracles/compare_oracle.py).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kohl::report {

// Persisted in compare.json ("method"): the test McNemar used.
constexpr const char* kMcNemarExact = "exact binomial";
constexpr const char* kMcNemarChi2 = "chi-square with continuity correction";
constexpr const char* kMcNemarNone = "no discordant pairs";

struct McNemarResult {
  std::int64_t n = 0;           // paired samples
  std::int64_t both_right = 0;
  std::int64_t only_a = 0;      // b: A right, B wrong
  std::int64_t only_b = 0;      // c: A wrong, B right
  std::int64_t both_wrong = 0;
  std::string method;           // kMcNemarExact | kMcNemarChi2 | kMcNemarNone
  std::optional<double> statistic;  // chi-square statistic (chi-square method only)
  double p = 1.0;               // two-sided
};

// McNemar's test of "A and B are equally often right" on paired correctness. With fewer
// than `exact_below` discordant pairs (b + c), the exact two-sided binomial test
// (p = min(1, 2 P[X <= min(b, c)]), X ~ Bin(b + c, 1/2)); otherwise the chi-square test with
// continuity correction ((|b - c| - 1)^2 / (b + c), 1 degree of freedom). No discordant
// pair: p = 1. a and b must have the same size.
McNemarResult mcnemar(const std::vector<bool>& a_correct, const std::vector<bool>& b_correct, std::int64_t exact_below = 25);

// Two-sided exact binomial p-value for k successes out of n at probability 1/2.
double binomial_two_sided_half(std::int64_t k, std::int64_t n);
// Survival function of the chi-square distribution with one degree of freedom.
double chi2_sf_1df(double x);

// numpy.percentile(x, q) with linear interpolation; x must not be empty.
double percentile(std::vector<double> x, double q);

// The resamples of a paired bootstrap: `resamples` rows of n indices drawn with replacement
// from mt19937_64(splitmix64(seed)) with an unbiased bounded draw (Lemire), so a seed gives
// the same rows on every platform. Exposed so the oracle test can replay them.
std::vector<std::vector<std::uint32_t>> bootstrap_indices(std::size_t n, std::int64_t resamples, std::uint64_t seed);

// A metric of run A and run B on the samples `idx` (indices into the paired sample list,
// with repeats). NaN = undefined on this resample (the resample is then dropped).
using PairedStat = std::function<std::pair<double, double>(const std::vector<std::uint32_t>& idx)>;

struct PairedBootstrapResult {
  double a = 0, b = 0, delta = 0;  // on all samples; delta = b - a
  std::optional<std::pair<double, double>> ci95;  // percentile interval of the resampled deltas
  double p = 1.0;  // two-sided: min(1, 2 min(share of deltas <= 0, share >= 0))
  std::int64_t resamples = 0, used = 0;  // asked for / defined
  std::uint64_t seed = 0;
};

// Paired bootstrap of B - A over n paired samples.
PairedBootstrapResult paired_bootstrap(std::size_t n, const PairedStat& stat, std::int64_t resamples, std::uint64_t seed);

// Metrics computed from per-sample predictions, for the paired tests (same definitions as
// the evaluator plugins: docs/evaluation.md). truth/pred are class indices in 0..k-1.
double accuracy_of(const std::vector<int>& truth, const std::vector<int>& pred, const std::vector<std::uint32_t>& idx);
// Mean recall over the classes present in the truth of the resample.
double balanced_accuracy_of(const std::vector<int>& truth, const std::vector<int>& pred, int k,
                            const std::vector<std::uint32_t>& idx);
// Macro F1 over all k classes (0/0 = 0, as scikit-learn's zero_division default).
double f1_macro_of(const std::vector<int>& truth, const std::vector<int>& pred, int k,
                   const std::vector<std::uint32_t>& idx);
// Pooled over the samples' regions: mean of de[sample][region], share under a threshold.
double mean_of(const std::vector<std::vector<double>>& de, const std::vector<std::uint32_t>& idx);
double share_under(const std::vector<std::vector<double>>& de, double threshold, const std::vector<std::uint32_t>& idx);

// 0..n-1, the index list of "all samples once".
std::vector<std::uint32_t> all_indices(std::size_t n);

}  // namespace kohl::report

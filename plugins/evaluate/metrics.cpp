#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kohl/sdk/color.hpp"

namespace kohl::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// sklearn's F-score: 2PR / (P + R), 0 when P + R = 0 (its "denom[denom == 0] = 1").
double f1_of(double p, double r) {
  const double denom = p + r;
  return 2.0 * p * r / (denom == 0.0 ? 1.0 : denom);
}

// sklearn's zero_division="warn" (the default): 0/0 -> 0 (it warns; we document it).
double ratio_or_zero(double num, double den) { return den == 0.0 ? 0.0 : num / den; }

// numpy.linspace(0, 1, bins + 1): start + i * step, with the last edge set to stop exactly.
std::vector<double> linspace01(int bins) {
  std::vector<double> e(static_cast<std::size_t>(bins) + 1);
  const double step = 1.0 / bins;
  for (int i = 0; i < bins; ++i) e[static_cast<std::size_t>(i)] = i * step;
  e.back() = 1.0;
  return e;
}

// Index b with edges[b] < x <= edges[b + 1] (bins are open below, closed above, as in Guo et
// al.'s reference code); x <= 0 goes to the first bin (it cannot happen: max prob >= 1/k).
int bin_of(const std::vector<double>& edges, double x) {
  const int bins = static_cast<int>(edges.size()) - 1;
  // First edge >= x; the bin ends there.
  const auto it = std::lower_bound(edges.begin() + 1, edges.end(), x);
  const int b = static_cast<int>(it - edges.begin()) - 1;
  return std::clamp(b, 0, bins - 1);
}

// Weighted order statistic: the value at 0-based rank `rank` of the multiset in which
// sorted element i appears weight(i) times.
template <typename WeightOf, typename ValueOf>
double weighted_rank(const std::vector<std::uint32_t>& order, double rank, WeightOf weight, ValueOf value) {
  double seen = 0;
  for (const auto idx : order) {
    seen += weight(idx);
    if (seen > rank) return value(idx);
  }
  return kNaN;
}

// Mean, median (numpy's: the mean of the two middle values for an even count), shares
// under the thresholds, of the multiset given by `order` (ascending) and weights.
template <typename WeightOf, typename ValueOf>
DeltaESummary summarise(const std::vector<std::uint32_t>& order, WeightOf weight, ValueOf value) {
  DeltaESummary s;
  double total = 0, sum = 0, under_jnd = 0, under_visible = 0;
  for (const auto idx : order) {
    const double w = weight(idx);
    if (w == 0.0) continue;
    const double v = value(idx);
    total += w;
    sum += w * v;
    if (v < kJndDeltaE) under_jnd += w;
    if (v < kVisibleDeltaE) under_visible += w;
  }
  if (total == 0.0) return {kNaN, kNaN, kNaN, kNaN};
  s.mean = sum / total;
  s.share_under_2_3 = under_jnd / total;
  s.share_under_5 = under_visible / total;
  // Weights are resample counts (integers), so total is an exact integer.
  const double lower = std::floor((total - 1.0) / 2.0), upper = std::floor(total / 2.0);
  s.median = 0.5 * (weighted_rank(order, lower, weight, value) + weighted_rank(order, upper, weight, value));
  return s;
}

}  // namespace

ClassifyData prepare_classify(std::vector<int> truth, std::vector<int> predicted, std::vector<double> probs,
                              std::size_t k, int ece_bins) {
  ClassifyData d;
  d.k = k;
  d.truth = std::move(truth);
  d.predicted = std::move(predicted);
  d.has_probs = !probs.empty();
  d.probs = std::move(probs);
  d.bin_edges = linspace01(ece_bins);
  if (!d.has_probs) return d;

  const std::size_t n = d.n();
  const double eps = std::numeric_limits<double>::epsilon();
  d.nll.resize(n);
  d.confidence.resize(n);
  d.top_correct.resize(n);
  d.bin.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double* row = &d.probs[i * k];
    double clipped_sum = 0;
    for (std::size_t c = 0; c < k; ++c) clipped_sum += std::clamp(row[c], eps, 1.0 - eps);
    const double p_true = std::clamp(row[static_cast<std::size_t>(d.truth[i])], eps, 1.0 - eps) / clipped_sum;
    d.nll[i] = -std::log(p_true);
    const std::size_t top = static_cast<std::size_t>(std::max_element(row, row + k) - row);  // first maximum
    d.confidence[i] = row[top];
    d.top_correct[i] = static_cast<int>(top) == d.truth[i];
    d.bin[i] = bin_of(d.bin_edges, row[top]);
  }
  d.by_score.resize(k);
  for (std::size_t c = 0; c < k; ++c) {
    auto& order = d.by_score[c];
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return d.probs[a * k + c] > d.probs[b * k + c]; });
  }
  return d;
}

ClassifyStats classify_stats(const ClassifyData& d, const std::vector<double>& w) {
  const std::size_t k = d.k, n = d.n();
  ClassifyStats s;
  s.confusion.assign(k * k, 0.0);
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (w[i] == 0.0) continue;
    s.confusion[static_cast<std::size_t>(d.truth[i]) * k + static_cast<std::size_t>(d.predicted[i])] += w[i];
    total += w[i];
  }

  // Per class, with every class of input.classes as a label (sklearn's labels=range(k)):
  // a class nobody predicted has precision 0, one absent from the truth recall 0.
  s.precision.assign(k, 0.0);
  s.recall.assign(k, 0.0);
  s.f1.assign(k, 0.0);
  s.support.assign(k, 0.0);
  std::vector<double> tp(k, 0.0), pred_sum(k, 0.0);
  double tp_total = 0;
  for (std::size_t t = 0; t < k; ++t)
    for (std::size_t p = 0; p < k; ++p) {
      const double v = s.confusion[t * k + p];
      s.support[t] += v;
      pred_sum[p] += v;
      if (t == p) tp[t] = v;
    }
  double recall_present = 0;
  std::size_t present = 0;
  for (std::size_t c = 0; c < k; ++c) {
    tp_total += tp[c];
    s.precision[c] = ratio_or_zero(tp[c], pred_sum[c]);
    s.recall[c] = ratio_or_zero(tp[c], s.support[c]);
    s.f1[c] = f1_of(s.precision[c], s.recall[c]);
    // balanced_accuracy_score: the mean recall over classes present in the truth only.
    if (s.support[c] > 0) {
      recall_present += s.recall[c];
      ++present;
    }
  }
  s.accuracy = tp_total / total;
  s.balanced_accuracy = present ? recall_present / static_cast<double>(present) : kNaN;

  const auto mean = [&](const std::vector<double>& v) {
    return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(k);
  };
  const auto weighted = [&](const std::vector<double>& v) {
    double acc = 0;
    for (std::size_t c = 0; c < k; ++c) acc += v[c] * s.support[c];
    return acc / total;
  };
  s.precision_macro = mean(s.precision);
  s.recall_macro = mean(s.recall);
  s.f1_macro = mean(s.f1);
  s.precision_weighted = weighted(s.precision);
  s.recall_weighted = weighted(s.recall);
  s.f1_weighted = weighted(s.f1);
  // Micro: pooled counts. With one label per sample both equal the accuracy.
  s.precision_micro = ratio_or_zero(tp_total, total);
  s.recall_micro = ratio_or_zero(tp_total, total);
  s.f1_micro = f1_of(s.precision_micro, s.recall_micro);

  s.auc.assign(k, kNaN);
  s.roc_auc_macro = s.ece = s.log_loss = kNaN;
  if (!d.has_probs) return s;

  // One-vs-rest AUC: the trapezoid area under the ROC curve, accumulated over groups of
  // tied scores (a tie counts half), which is what roc_auc_score integrates.
  double auc_sum = 0;
  std::size_t auc_defined = 0;
  for (std::size_t c = 0; c < k; ++c) {
    const double pos = s.support[c], neg = total - pos;
    if (pos == 0.0 || neg == 0.0) continue;  // undefined: sklearn raises "Only one class present"
    const auto& order = d.by_score[c];
    double area = 0, tp_run = 0;
    for (std::size_t a = 0; a < order.size();) {
      const double score = d.probs[order[a] * k + c];
      double gtp = 0, gfp = 0;
      std::size_t b = a;
      for (; b < order.size() && d.probs[order[b] * k + c] == score; ++b) {
        const double wi = w[order[b]];
        if (d.truth[order[b]] == static_cast<int>(c)) gtp += wi;
        else gfp += wi;
      }
      area += gfp * (tp_run + 0.5 * gtp);
      tp_run += gtp;
      a = b;
    }
    s.auc[c] = area / (pos * neg);
    auc_sum += s.auc[c];
    ++auc_defined;
  }
  // Macro: the mean over the classes where it is defined.
  s.roc_auc_macro = auc_defined ? auc_sum / static_cast<double>(auc_defined) : kNaN;

  // Expected calibration error (Guo et al. 2017): sum over bins of |accuracy - confidence|
  // weighted by the bin's share of samples.
  const std::size_t nb = d.bin_edges.size() - 1;
  s.bins.resize(nb);
  for (std::size_t b = 0; b < nb; ++b) {
    s.bins[b].lo = d.bin_edges[b];
    s.bins[b].hi = d.bin_edges[b + 1];
  }
  double nll_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (w[i] == 0.0) continue;
    auto& bin = s.bins[static_cast<std::size_t>(d.bin[i])];
    bin.count += w[i];
    bin.confidence_sum += w[i] * d.confidence[i];
    bin.correct_sum += w[i] * d.top_correct[i];
    nll_sum += w[i] * d.nll[i];
  }
  s.ece = 0;
  for (const auto& bin : s.bins)
    if (bin.count > 0)
      s.ece += bin.count / total * std::abs(bin.correct_sum / bin.count - bin.confidence_sum / bin.count);
  s.log_loss = nll_sum / total;
  return s;
}

std::optional<RocCurve> roc_curve(const ClassifyData& d, std::size_t c) {
  if (!d.has_probs) return std::nullopt;
  const std::size_t k = d.k;
  const auto& order = d.by_score[c];
  // sklearn's _binary_clf_curve: cumulative true / false positives at each distinct score.
  std::vector<double> tps, fps;
  double tp = 0, fp = 0;
  for (std::size_t a = 0; a < order.size();) {
    const double score = d.probs[order[a] * k + c];
    std::size_t b = a;
    for (; b < order.size() && d.probs[order[b] * k + c] == score; ++b) {
      if (d.truth[order[b]] == static_cast<int>(c)) tp += 1;
      else fp += 1;
    }
    tps.push_back(tp);
    fps.push_back(fp);
    a = b;
  }
  if (tp == 0 || fp == 0) return std::nullopt;
  // drop_intermediate: keep the ends and every point where the curve bends.
  std::vector<double> kept_tps, kept_fps;
  for (std::size_t i = 0; i < tps.size(); ++i) {
    const bool keep = tps.size() <= 2 || i == 0 || i + 1 == tps.size() ||
                      fps[i + 1] - 2 * fps[i] + fps[i - 1] != 0 || tps[i + 1] - 2 * tps[i] + tps[i - 1] != 0;
    if (!keep) continue;
    kept_tps.push_back(tps[i]);
    kept_fps.push_back(fps[i]);
  }
  RocCurve r;
  r.fpr.push_back(0.0);
  r.tpr.push_back(0.0);
  for (std::size_t i = 0; i < kept_tps.size(); ++i) {
    r.fpr.push_back(kept_fps[i] / fp);
    r.tpr.push_back(kept_tps[i] / tp);
  }
  return r;
}

RecommendData prepare_recommend(const std::vector<double>& values, const std::vector<double>& targets,
                                std::size_t n, std::size_t regions) {
  RecommendData d;
  d.regions = regions;
  d.delta_e.resize(n * regions);
  for (std::size_t i = 0; i < n * regions; ++i) {
    const sdk::color::Lab a{values[3 * i], values[3 * i + 1], values[3 * i + 2]};
    const sdk::color::Lab b{targets[3 * i], targets[3 * i + 1], targets[3 * i + 2]};
    d.delta_e[i] = sdk::color::ciede2000(b, a);
  }
  d.by_region.resize(regions);
  for (std::size_t r = 0; r < regions; ++r) {
    auto& order = d.by_region[r];
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return d.delta_e[a * regions + r] < d.delta_e[b * regions + r];
    });
  }
  d.pooled.resize(n * regions);
  std::iota(d.pooled.begin(), d.pooled.end(), 0u);
  std::stable_sort(d.pooled.begin(), d.pooled.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return d.delta_e[a] < d.delta_e[b]; });
  return d;
}

RecommendStats recommend_stats(const RecommendData& d, const std::vector<double>& w) {
  RecommendStats s;
  const std::size_t r = d.regions;
  s.region.resize(r);
  for (std::size_t j = 0; j < r; ++j)
    s.region[j] = summarise(
        d.by_region[j], [&](std::uint32_t i) { return w[i]; }, [&](std::uint32_t i) { return d.delta_e[i * r + j]; });
  s.overall = summarise(
      d.pooled, [&](std::uint32_t p) { return w[p / r]; }, [&](std::uint32_t p) { return d.delta_e[p]; });
  return s;
}

}  // namespace kohl::eval

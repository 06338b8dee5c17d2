// evaluate: the evaluator plugins (ids persisted, never renamed).
//   org.kohl.eval.classify   classification: accuracy, balanced accuracy, macro / micro /
//                            weighted precision, recall and F1, confusion matrix,
//                            one-vs-rest ROC-AUC and curves, calibration (ECE, bins), log loss
//   org.kohl.eval.recommend  shade recommendation: CIEDE2000 per region between predicted
//                            and reference CIELAB: mean, median, share under 2.3 and under 5
// Both: every scalar with a percentile bootstrap 95% interval over samples, everything again
// per skin-tone band, and the gap between the best and the worst band on headline metrics.
// Definitions: metrics.hpp and docs/evaluation.md; oracles: scikit-learn 1.2 and
// scikit-image 0.19 (tests/plugins/evaluate.test.cpp).
//
// Output of org.kohl.eval.classify (a "metric" is {"value": x | null, "ci95": [lo, hi] | null}):
//   {"task": "classify", "n": N, "classes": [names...],
//    "bootstrap": {"resamples": B, "seed": S, "interval": "percentile", "level": 0.95},
//    "metrics": {"accuracy", "balanced_accuracy", "precision_macro", "recall_macro",
//                "f1_macro", "precision_micro", "recall_micro", "f1_micro",
//                "precision_weighted", "recall_weighted", "f1_weighted",
//                "roc_auc_macro", "ece", "log_loss": metric},       (last three need probs)
//    "per_class": {"<class>": {"precision", "recall", "f1", "auc": metric, "support": count}},
//    "confusion": [[count, ...], ...],      rows = truth, columns = predicted, input.classes order
//    "roc": {"<class>": {"fpr": [...], "tpr": [...], "auc": x | null}},          (needs probs)
//    "calibration": {"bins": [{"lo", "hi", "count", "confidence", "accuracy"}, ...]}, (probs)
//    "by_band": {"<band>": {"n", "metrics", "per_class", "confusion", "roc", "calibration"}},
//    "band_gap": {"accuracy" | "f1_macro": {"best", "worst", "best_value", "worst_value",
//                                          "gap", "ci95"} | null}}
// Output of org.kohl.eval.recommend:
//   {"task": "recommend", "n": N, "regions": [names...], "bootstrap": {...},
//    "metrics": {"mean_de", "median_de", "share_under_2_3", "share_under_5": metric},  pooled
//    "per_region": {"<region>": {same four}},
//    "by_band": {"<band>": {"n", "metrics", "per_region"}},
//    "band_gap": {"mean_de": {...} | null}}
// Bands: Prediction::band, "" reported as "unknown". "unknown" is listed in by_band but not
// compared in band_gap (it is not a skin tone); band_gap is null with fewer than two known
// bands where the metric is defined.
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bootstrap.hpp"
#include "kohl/sdk/sdk.hpp"
#include "metrics.hpp"

namespace {

using namespace kohl::sdk;
using kohl::eval::ClassifyData;
using kohl::eval::ClassifyStats;
using kohl::eval::DeltaESummary;
using kohl::eval::RecommendData;
using kohl::eval::RecommendStats;

constexpr const char* kClassifyId = "org.kohl.eval.classify";
constexpr const char* kRecommendId = "org.kohl.eval.recommend";
constexpr const char* kUnknownBand = "unknown";
// Probabilities must sum to 1 within this: float32 softmax drifts by ~1e-6; logits or
// unnormalised scores are far off and must be refused, not silently renormalised.
constexpr double kProbSumTolerance = 1e-3;

struct Settings {
  std::int64_t rounds = 1000;
  int ece_bins = 15;
};

Json value_json(double v) { return std::isnan(v) ? Json(nullptr) : Json(v); }

// {"value", "ci95"}; without resamples (rounds = 0) the interval is null.
Json metric_json(double point, const std::vector<double>& reps) {
  return {{"value", value_json(point)}, {"ci95", std::isnan(point) ? Json(nullptr) : kohl::eval::interval_json(reps)}};
}

std::string who(const Prediction& p, std::size_t i) {
  return "sample '" + p.sample_id + "' (#" + std::to_string(i) + ")";
}

Status check_names(const std::vector<std::string>& names, const char* what, std::size_t at_least) {
  if (names.size() < at_least)
    return Status::invalid(std::string("input.classes must list at least ") + std::to_string(at_least) + " " + what +
                           ", got " + std::to_string(names.size()));
  std::set<std::string> seen;
  for (const auto& c : names) {
    if (c.empty()) return Status::invalid(std::string("input.classes: a ") + what + " name is empty");
    if (!seen.insert(c).second)
      return Status::invalid(std::string("input.classes: ") + what + " '" + c + "' is listed twice");
  }
  return Status::ok();
}

// A headline metric of one subset, with its resamples, for band_gap.
struct Headline {
  std::string key;
  double value = 0;
  std::vector<double> reps;
  bool higher_is_better = true;
};

// One evaluated subset (the whole input or one band).
struct Part {
  Json body;
  std::vector<Headline> headline;
};

using PartFn = std::function<Result<Part>(const std::vector<std::size_t>& indices, std::uint64_t seed)>;

// Evaluates the whole input, then each band, and compares the bands. `top` already holds
// the task-specific header; the whole input's part is merged into it.
Result<Json> evaluate_with_bands(const EvalInput& in, Json top, const PartFn& part, const Settings& st,
                                 IProgress& progress) {
  std::map<std::string, std::vector<std::size_t>> bands;
  std::vector<std::size_t> all(in.predictions.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = i;
    const auto& b = in.predictions[i].band;
    bands[b.empty() ? kUnknownBand : b].push_back(i);
  }
  if (st.rounds > 0) progress.phase("bootstrap", st.rounds * static_cast<std::int64_t>(1 + bands.size()));

  auto whole = part(all, in.seed);
  if (!whole) return whole.status();
  for (auto& [key, value] : whole->body.items()) top[key] = std::move(value);

  Json by_band = Json::object();
  std::map<std::string, std::vector<Headline>> band_headlines;
  for (const auto& [band, indices] : bands) {
    if (progress.cancelled()) return Status::cancelled("evaluation cancelled");
    // Each band has its own resample stream, fixed by the seed and the band's name.
    auto p = part(indices, kohl::eval::mix_seed(in.seed ^ kohl::eval::fnv1a64(band)));
    if (!p) return p.status();
    by_band[band] = std::move(p->body);
    band_headlines[band] = std::move(p->headline);
  }
  top["by_band"] = std::move(by_band);

  Json gaps = Json::object();
  for (std::size_t h = 0; h < whole->headline.size(); ++h) {
    const auto& key = whole->headline[h].key;
    const bool higher = whole->headline[h].higher_is_better;
    const Headline* best = nullptr;
    const Headline* worst = nullptr;
    std::string best_band, worst_band;
    for (const auto& [band, heads] : band_headlines) {
      if (band == kUnknownBand || std::isnan(heads[h].value)) continue;
      const double v = heads[h].value;
      if (!best || (higher ? v > best->value : v < best->value)) {
        best = &heads[h];
        best_band = band;
      }
      if (!worst || (higher ? v < worst->value : v > worst->value)) {
        worst = &heads[h];
        worst_band = band;
      }
    }
    if (!best || best_band == worst_band) {
      gaps[key] = nullptr;
      continue;
    }
    // The interval: each band resampled on its own (a stratified bootstrap), the gap between
    // the same two bands in each round. An interval reaching 0 means no evidence of a gap.
    std::vector<double> reps;
    for (std::size_t r = 0; r < best->reps.size() && r < worst->reps.size(); ++r)
      reps.push_back(higher ? best->reps[r] - worst->reps[r] : worst->reps[r] - best->reps[r]);
    gaps[key] = {{"best", best_band},
                 {"worst", worst_band},
                 {"best_value", best->value},
                 {"worst_value", worst->value},
                 {"gap", std::abs(best->value - worst->value)},
                 {"ci95", kohl::eval::interval_json(reps)}};
  }
  top["band_gap"] = std::move(gaps);
  return top;
}

Json bootstrap_json(const EvalInput& in, const Settings& st) {
  return {{"resamples", st.rounds}, {"seed", in.seed}, {"interval", "percentile"}, {"level", 0.95}};
}

// ---- classification -----------------------------------------------------------------------

const char* const kClassifyScalars[] = {
    "accuracy",           "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro",
    "precision_micro",    "recall_micro",      "f1_micro",        "precision_weighted",
    "recall_weighted",    "f1_weighted",       "roc_auc_macro",   "ece",          "log_loss"};
constexpr std::size_t kNumClassifyScalars = sizeof(kClassifyScalars) / sizeof(kClassifyScalars[0]);
const char* const kPerClass[] = {"precision", "recall", "f1", "auc"};
constexpr std::size_t kNumPerClass = 4;

bool needs_probs(const std::string& key) {
  return key == "roc_auc_macro" || key == "ece" || key == "log_loss" || key == "auc";
}

// The statistics bootstrapped, flattened: the scalars above, then k x (precision, recall, f1, auc).
void flatten(const ClassifyStats& s, std::vector<double>& out) {
  const double scalars[kNumClassifyScalars] = {
      s.accuracy,           s.balanced_accuracy, s.precision_macro, s.recall_macro, s.f1_macro,
      s.precision_micro,    s.recall_micro,      s.f1_micro,        s.precision_weighted,
      s.recall_weighted,    s.f1_weighted,       s.roc_auc_macro,   s.ece,          s.log_loss};
  std::size_t o = 0;
  for (const double v : scalars) out[o++] = v;
  for (std::size_t c = 0; c < s.precision.size(); ++c) {
    out[o++] = s.precision[c];
    out[o++] = s.recall[c];
    out[o++] = s.f1[c];
    out[o++] = s.auc[c];
  }
}

Status validate_classify(const EvalInput& in) {
  if (in.task != "classify")
    return Status::invalid(std::string(kClassifyId) + " evaluates task 'classify', got '" + in.task + "'");
  if (Status s = check_names(in.classes, "classes", 2); !s) return s;
  if (in.predictions.empty()) return Status::invalid("no predictions to evaluate");
  if (in.predictions.size() > std::numeric_limits<std::uint32_t>::max())
    return Status::invalid("too many predictions (at most 2^32 - 1)");
  const auto k = static_cast<std::int64_t>(in.classes.size());
  const bool probs = !in.predictions.front().probs.empty();
  for (std::size_t i = 0; i < in.predictions.size(); ++i) {
    const auto& p = in.predictions[i];
    if (p.truth < 0 || p.truth >= k)
      return Status::invalid(who(p, i) + ": truth " + std::to_string(p.truth) + " is outside 0.." +
                             std::to_string(k - 1) + " (the indices of input.classes)");
    if (p.predicted < 0 || p.predicted >= k)
      return Status::invalid(who(p, i) + ": predicted " + std::to_string(p.predicted) + " is outside 0.." +
                             std::to_string(k - 1) + " (the indices of input.classes)");
    // Probabilities are all or nothing: metrics over a subset would not be comparable.
    const std::size_t want = probs ? static_cast<std::size_t>(k) : 0;
    if (p.probs.size() != want)
      return Status::invalid(who(p, i) + ": probs has " + std::to_string(p.probs.size()) + " values, expected " +
                             std::to_string(want) +
                             (probs ? " (one per class of input.classes)" : " (the first sample has none)"));
    double sum = 0;
    for (const double v : p.probs) {
      if (!std::isfinite(v) || v < 0.0 || v > 1.0)
        return Status::invalid(who(p, i) + ": probs holds " + std::to_string(v) + ", not a probability in [0, 1]");
      sum += v;
    }
    if (probs && std::abs(sum - 1.0) > kProbSumTolerance)
      return Status::invalid(who(p, i) + ": probs sum to " + std::to_string(sum) +
                             ", expected 1 (pass softmax probabilities, not logits)");
  }
  return Status::ok();
}

Result<Part> classify_part(const EvalInput& in, const std::vector<std::size_t>& idx, std::uint64_t seed,
                           const Settings& st, IProgress& progress) {
  const std::size_t k = in.classes.size();
  std::vector<int> truth(idx.size()), predicted(idx.size());
  std::vector<double> probs;
  const bool has_probs = !in.predictions.front().probs.empty();
  if (has_probs) probs.reserve(idx.size() * k);
  for (std::size_t j = 0; j < idx.size(); ++j) {
    const auto& p = in.predictions[idx[j]];
    truth[j] = static_cast<int>(p.truth);
    predicted[j] = static_cast<int>(p.predicted);
    if (has_probs) probs.insert(probs.end(), p.probs.begin(), p.probs.end());
  }
  const ClassifyData d =
      kohl::eval::prepare_classify(std::move(truth), std::move(predicted), std::move(probs), k, st.ece_bins);
  const ClassifyStats point = kohl::eval::classify_stats(d, std::vector<double>(d.n(), 1.0));

  const std::size_t n_stats = kNumClassifyScalars + kNumPerClass * k;
  std::vector<double> point_flat(n_stats);
  flatten(point, point_flat);
  auto reps = kohl::eval::bootstrap(
      d.n(), n_stats, st.rounds, seed,
      [&](const std::vector<double>& w, std::vector<double>& out) { flatten(kohl::eval::classify_stats(d, w), out); },
      progress);
  if (!reps) return reps.status();

  Part part;
  Json& b = part.body;
  b["n"] = d.n();
  Json metrics = Json::object();
  for (std::size_t m = 0; m < kNumClassifyScalars; ++m) {
    if (!has_probs && needs_probs(kClassifyScalars[m])) continue;
    metrics[kClassifyScalars[m]] = metric_json(point_flat[m], (*reps)[m]);
  }
  b["metrics"] = std::move(metrics);

  Json per_class = Json::object();
  for (std::size_t c = 0; c < k; ++c) {
    Json entry = Json::object();
    for (std::size_t m = 0; m < kNumPerClass; ++m) {
      if (!has_probs && needs_probs(kPerClass[m])) continue;
      const std::size_t at = kNumClassifyScalars + kNumPerClass * c + m;
      entry[kPerClass[m]] = metric_json(point_flat[at], (*reps)[at]);
    }
    entry["support"] = std::llround(point.support[c]);
    per_class[in.classes[c]] = std::move(entry);
  }
  b["per_class"] = std::move(per_class);

  Json confusion = Json::array();
  for (std::size_t t = 0; t < k; ++t) {
    Json row = Json::array();
    for (std::size_t p = 0; p < k; ++p) row.push_back(std::llround(point.confusion[t * k + p]));
    confusion.push_back(std::move(row));
  }
  b["confusion"] = std::move(confusion);

  if (has_probs) {
    Json roc = Json::object();
    for (std::size_t c = 0; c < k; ++c) {
      const auto curve = kohl::eval::roc_curve(d, c);
      roc[in.classes[c]] = {{"fpr", curve ? Json(curve->fpr) : Json::array()},
                            {"tpr", curve ? Json(curve->tpr) : Json::array()},
                            {"auc", value_json(point.auc[c])}};
    }
    b["roc"] = std::move(roc);
    Json bins = Json::array();
    for (const auto& bin : point.bins) {
      const bool any = bin.count > 0;
      bins.push_back({{"lo", bin.lo},
                      {"hi", bin.hi},
                      {"count", std::llround(bin.count)},
                      {"confidence", any ? Json(bin.confidence_sum / bin.count) : Json(nullptr)},
                      {"accuracy", any ? Json(bin.correct_sum / bin.count) : Json(nullptr)}});
    }
    b["calibration"] = {{"bins", std::move(bins)}};
  }

  part.headline.push_back({"accuracy", point.accuracy, (*reps)[0], true});
  part.headline.push_back({"f1_macro", point.f1_macro, (*reps)[4], true});
  return part;
}

class ClassifyEvaluator final : public IEvaluator {
 public:
  ClassifyEvaluator(const ParamValues& p, IHostServices&) {
    st_.rounds = param_int(p, "bootstrap", 1000);
    st_.ece_bins = static_cast<int>(param_int(p, "ece_bins", 15));
  }

  Result<Json> evaluate(const EvalInput& in, IProgress& progress) const override {
    try {
      if (Status s = validate_classify(in); !s) return s;
      Json top = {{"task", "classify"}, {"classes", in.classes}, {"bootstrap", bootstrap_json(in, st_)}};
      return evaluate_with_bands(
          in, std::move(top),
          [&](const std::vector<std::size_t>& idx, std::uint64_t seed) {
            return classify_part(in, idx, seed, st_, progress);
          },
          st_, progress);
    } catch (const std::exception& e) {
      return Status::error(std::string(kClassifyId) + ": evaluation failed: " + e.what());
    }
  }

 private:
  Settings st_;
};

// ---- shade recommendation -----------------------------------------------------------------

const char* const kDeltaEKeys[] = {"mean_de", "median_de", "share_under_2_3", "share_under_5"};

void flatten_summary(const DeltaESummary& s, double* out) {
  out[0] = s.mean;
  out[1] = s.median;
  out[2] = s.share_under_2_3;
  out[3] = s.share_under_5;
}

// Overall first, then each region: 4 x (1 + regions).
void flatten(const RecommendStats& s, std::vector<double>& out) {
  flatten_summary(s.overall, out.data());
  for (std::size_t r = 0; r < s.region.size(); ++r) flatten_summary(s.region[r], out.data() + 4 * (r + 1));
}

Status validate_recommend(const EvalInput& in) {
  if (in.task != "recommend")
    return Status::invalid(std::string(kRecommendId) + " evaluates task 'recommend', got '" + in.task + "'");
  if (Status s = check_names(in.classes, "regions", 1); !s) return s;
  if (in.predictions.empty()) return Status::invalid("no predictions to evaluate");
  if (in.predictions.size() * in.classes.size() > std::numeric_limits<std::uint32_t>::max())
    return Status::invalid("too many predictions x regions (at most 2^32 - 1)");
  const std::size_t want = 3 * in.classes.size();
  for (std::size_t i = 0; i < in.predictions.size(); ++i) {
    const auto& p = in.predictions[i];
    for (const auto* field : {"values", "targets"}) {
      const auto& v = std::string(field) == "values" ? p.values : p.targets;
      if (v.size() != want)
        return Status::invalid(who(p, i) + ": " + field + " has " + std::to_string(v.size()) + " numbers, expected " +
                               std::to_string(want) + " (an L, a, b triple for each of the " +
                               std::to_string(in.classes.size()) + " regions in input.classes)");
      for (const double x : v)
        if (!std::isfinite(x)) return Status::invalid(who(p, i) + ": " + field + " holds a non-finite number");
    }
  }
  return Status::ok();
}

Result<Part> recommend_part(const EvalInput& in, const std::vector<std::size_t>& idx, std::uint64_t seed,
                            const Settings& st, IProgress& progress) {
  const std::size_t r = in.classes.size();
  std::vector<double> values, targets;
  values.reserve(idx.size() * 3 * r);
  targets.reserve(idx.size() * 3 * r);
  for (const auto i : idx) {
    const auto& p = in.predictions[i];
    values.insert(values.end(), p.values.begin(), p.values.end());
    targets.insert(targets.end(), p.targets.begin(), p.targets.end());
  }
  const RecommendData d = kohl::eval::prepare_recommend(values, targets, idx.size(), r);
  const RecommendStats point = kohl::eval::recommend_stats(d, std::vector<double>(d.n(), 1.0));
  const std::size_t n_stats = 4 * (1 + r);
  std::vector<double> point_flat(n_stats);
  flatten(point, point_flat);
  auto reps = kohl::eval::bootstrap(
      d.n(), n_stats, st.rounds, seed,
      [&](const std::vector<double>& w, std::vector<double>& out) { flatten(kohl::eval::recommend_stats(d, w), out); },
      progress);
  if (!reps) return reps.status();

  Part part;
  part.body["n"] = d.n();
  auto summary_json = [&](std::size_t offset) {
    Json j = Json::object();
    for (std::size_t m = 0; m < 4; ++m) j[kDeltaEKeys[m]] = metric_json(point_flat[offset + m], (*reps)[offset + m]);
    return j;
  };
  part.body["metrics"] = summary_json(0);
  Json per_region = Json::object();
  for (std::size_t j = 0; j < r; ++j) per_region[in.classes[j]] = summary_json(4 * (j + 1));
  part.body["per_region"] = std::move(per_region);
  part.headline.push_back({"mean_de", point.overall.mean, (*reps)[0], false});
  return part;
}

class RecommendEvaluator final : public IEvaluator {
 public:
  RecommendEvaluator(const ParamValues& p, IHostServices&) { st_.rounds = param_int(p, "bootstrap", 1000); }

  Result<Json> evaluate(const EvalInput& in, IProgress& progress) const override {
    try {
      if (Status s = validate_recommend(in); !s) return s;
      Json top = {{"task", "recommend"}, {"regions", in.classes}, {"bootstrap", bootstrap_json(in, st_)}};
      return evaluate_with_bands(
          in, std::move(top),
          [&](const std::vector<std::size_t>& idx, std::uint64_t seed) {
            return recommend_part(in, idx, seed, st_, progress);
          },
          st_, progress);
    } catch (const std::exception& e) {
      return Status::error(std::string(kRecommendId) + ": evaluation failed: " + e.what());
    }
  }

 private:
  Settings st_;
};

void add_bootstrap_param(ParamSchema& s) {
  s.add_int("bootstrap", "Bootstrap resamples", 1000, 0, 100000).group("Intervals")
      .help("Resamples of the samples for the percentile 95% intervals (seeded by the run's seed); 0 = no intervals");
}

Status register_plugins(IRegistrar& r) {
  {
    PluginDescriptor d;
    d.kind = PluginKind::kEvaluator;
    d.id = kClassifyId;
    d.name = "Classification metrics";
    d.version = "1.0.0";
    d.summary =
        "Accuracy, balanced accuracy, macro/micro/weighted precision, recall and F1, confusion matrix, one-vs-rest "
        "ROC-AUC and curves, expected calibration error and log loss, with bootstrap 95% intervals, per skin-tone "
        "band and the gap between the best and worst band; numbers as scikit-learn's.";
    d.license_notes = "Apache-2.0 (part of Kohl). No model weights or data.";
    add_bootstrap_param(d.schema);
    d.schema.add_int("ece_bins", "Calibration bins", 15, 1, 1000).group("Calibration")
        .help("Equal-width bins of top-label confidence for the expected calibration error and the reliability plot");
    d.create = &create_plugin<ClassifyEvaluator>;
    d.destroy = &destroy_plugin;
    if (Status s = r.add(d); !s) return s;
  }
  {
    PluginDescriptor d;
    d.kind = PluginKind::kEvaluator;
    d.id = kRecommendId;
    d.name = "Shade recommendation metrics";
    d.version = "1.0.0";
    d.summary =
        "CIEDE2000 between predicted and reference CIELAB per region (mean, median, share under 2.3 and under 5), "
        "pooled and per region, with bootstrap 95% intervals, per skin-tone band and the gap between bands.";
    d.license_notes = "Apache-2.0 (part of Kohl). No model weights or data.";
    add_bootstrap_param(d.schema);
    d.create = &create_plugin<RecommendEvaluator>;
    d.destroy = &destroy_plugin;
    if (Status s = r.add(d); !s) return s;
  }
  return Status::ok();
}

}  // namespace

KOHL_PLUGIN(register_plugins)

// The evaluator plugins (org.kohl.eval.classify, org.kohl.eval.recommend) through the real
// host, against scikit-learn and scikit-image: the same per-sample predictions go to
// tests/oracles/metrics_oracle.py (Debian's /usr/bin/python3 with python3-sklearn and
// python3-skimage) and every number must agree to 1e-6. If the oracle cannot run, the tests
// FAIL: metrics that are not checked are not known to be right. Oracle input/output stay in
// build/test-output/metrics-oracle/.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "kohl/core/plugin_host.hpp"
#include "test_support.hpp"

using namespace kohl;
using sdk::Json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kClassify = "org.kohl.eval.classify";
constexpr const char* kRecommend = "org.kohl.eval.recommend";
constexpr double kTol = 1e-6;

const core::PluginHost& host() { return test::plugin_host_with("evaluate.so"); }

std::shared_ptr<sdk::IEvaluator> make(const std::string& id, const Json& params = Json::object()) {
  auto r = host().create<sdk::IEvaluator>(id, params);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return r.value();
}

Json run(const std::string& id, const sdk::EvalInput& in, const Json& params = Json::object()) {
  sdk::NullProgress progress;
  auto r = make(id, params)->evaluate(in, progress);
  INFO(r.status().message());
  REQUIRE(r.is_ok());
  return r.value();
}

using test::CancelAfter;

// ---- synthetic predictions ------------------------------------------------------------------

const std::vector<std::string> kBands = {"1", "2", "3", "4", "5", ""};

struct ClassifyOptions {
  int never_predicted = -1;  // a class no sample is predicted as
  int absent = -1;           // a class absent from the truth
  bool quantized = false;    // probabilities in steps of 1/20: many ties, some exact zeros
  double flip = 0.0;         // share of predictions replaced by a random class (pred != argmax)
};

// Imbalanced truth (class c has weight 0.6^c), logits favouring the truth by a band-dependent
// margin (so bands differ), softmax probabilities.
sdk::EvalInput classify_input(std::uint64_t seed, int k, int n, const ClassifyOptions& o = {}) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  sdk::EvalInput in;
  in.task = "classify";
  in.seed = seed;
  for (int c = 0; c < k; ++c) in.classes.push_back("c" + std::to_string(c));
  std::vector<double> prior(static_cast<std::size_t>(k));
  for (int c = 0; c < k; ++c) prior[static_cast<std::size_t>(c)] = c == o.absent ? 0.0 : std::pow(0.6, c);
  std::discrete_distribution<int> draw_class(prior.begin(), prior.end());
  std::uniform_int_distribution<std::size_t> draw_band(0, kBands.size() - 1);
  for (int i = 0; i < n; ++i) {
    sdk::Prediction p;
    p.sample_id = "s" + std::to_string(i);
    p.band = kBands[draw_band(rng)];
    p.truth = draw_class(rng);
    const double margin = 0.4 + 0.35 * static_cast<double>(p.band.empty() ? 2 : p.band[0] - '0');
    std::vector<double> z(static_cast<std::size_t>(k));
    for (int c = 0; c < k; ++c) z[static_cast<std::size_t>(c)] = 1.2 * noise(rng) + (c == p.truth ? margin : 0.0);
    if (o.never_predicted >= 0) z[static_cast<std::size_t>(o.never_predicted)] -= 6.0;
    const double zmax = *std::max_element(z.begin(), z.end());
    double sum = 0;
    for (auto& v : z) sum += (v = std::exp(v - zmax));
    p.probs.resize(z.size());
    for (std::size_t c = 0; c < z.size(); ++c) p.probs[c] = z[c] / sum;
    if (o.quantized) {  // largest remainder to units of 1/20
      std::vector<int> units(z.size());
      std::vector<std::pair<double, std::size_t>> rest;
      int used = 0;
      for (std::size_t c = 0; c < z.size(); ++c) {
        units[c] = static_cast<int>(std::floor(p.probs[c] * 20));
        used += units[c];
        rest.push_back({p.probs[c] * 20 - units[c], c});
      }
      std::sort(rest.begin(), rest.end(), std::greater<>());
      for (int j = 0; j < 20 - used; ++j) ++units[rest[static_cast<std::size_t>(j)].second];
      for (std::size_t c = 0; c < z.size(); ++c) p.probs[c] = units[c] / 20.0;
    }
    // The decision: the most probable class that may be predicted, sometimes a random one.
    const auto prob = [&](int c) { return p.probs[static_cast<std::size_t>(c)]; };
    int best = -1;
    for (int c = 0; c < k; ++c)
      if (c != o.never_predicted && (best < 0 || prob(c) > prob(best))) best = c;
    if (u(rng) < o.flip) {
      do best = static_cast<int>(rng() % static_cast<std::uint64_t>(k));
      while (best == o.never_predicted);
    }
    p.predicted = best;
    in.predictions.push_back(std::move(p));
  }
  return in;
}

const std::vector<std::string> kRegions = {"foundation", "lip", "eyeshadow", "blush"};

// Reference palettes in plausible Lab ranges; predictions off by a band-dependent amount,
// some exact (dE 0), some achromatic pairs (the hue conventions of CIEDE2000).
sdk::EvalInput recommend_input(std::uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> L(20, 90), a(-10, 60), b(-20, 50), u(0, 1);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_int_distribution<std::size_t> draw_band(0, kBands.size() - 1);
  sdk::EvalInput in;
  in.task = "recommend";
  in.seed = seed;
  in.classes = kRegions;
  for (int i = 0; i < n; ++i) {
    sdk::Prediction p;
    p.sample_id = "r" + std::to_string(i);
    p.band = kBands[draw_band(rng)];
    const double scale = 0.5 + 1.2 * static_cast<double>(p.band.empty() ? 3 : p.band[0] - '0');
    for (std::size_t j = 0; j < kRegions.size(); ++j) {
      double t[3] = {L(rng), a(rng), b(rng)};
      const double kind = u(rng);
      if (kind < 0.05) t[1] = t[2] = 0.0;
      double v[3] = {t[0], t[1], t[2]};
      if (kind >= 0.1) {
        for (auto& x : v) x += scale * noise(rng);
        if (kind < 0.15) v[1] = v[2] = 0.0;
      }
      p.targets.insert(p.targets.end(), t, t + 3);
      p.values.insert(p.values.end(), v, v + 3);
    }
    in.predictions.push_back(std::move(p));
  }
  return in;
}

// ---- the oracle -----------------------------------------------------------------------------

fs::path output_dir() {
  const fs::path dir = test::build_dir() / "test-output" / "metrics-oracle";
  fs::create_directories(dir);
  return dir;
}

Json oracle_case(const std::string& name, const sdk::EvalInput& in, int ece_bins = 15) {
  Json c = {{"name", name}, {"task", in.task}};
  Json bands = Json::array();
  for (const auto& p : in.predictions) bands.push_back(p.band);
  c["bands"] = bands;
  if (in.task == "classify") {
    Json truth = Json::array(), pred = Json::array(), probs = Json::array();
    for (const auto& p : in.predictions) {
      truth.push_back(p.truth);
      pred.push_back(p.predicted);
      if (!p.probs.empty()) probs.push_back(p.probs);
    }
    c["classes"] = in.classes;
    c["truth"] = truth;
    c["pred"] = pred;
    c["probs"] = probs;
    c["ece_bins"] = ece_bins;
  } else {
    Json values = Json::array(), targets = Json::array();
    for (const auto& p : in.predictions) {
      values.push_back(p.values);
      targets.push_back(p.targets);
    }
    c["regions"] = in.classes;
    c["values"] = values;
    c["targets"] = targets;
  }
  return c;
}

// Runs the oracle; FAILs the test (never skips) when python, numpy, sklearn or skimage is
// missing or the script errors.
Json run_oracle(const std::string& name, const Json& cases) {
  const fs::path dir = output_dir();
  const fs::path in_path = dir / (name + ".in.json"), out_path = dir / (name + ".out.json");
  const fs::path err_path = dir / (name + ".stderr.txt");
  const fs::path script = test::source_dir() / "tests" / "oracles" / "metrics_oracle.py";
  {
    std::ofstream f(in_path);
    f << Json{{"cases", cases}}.dump();
  }
  fs::remove(out_path);
  const std::string cmd = "/usr/bin/python3 '" + script.string() + "' '" + in_path.string() + "' '" +
                          out_path.string() + "' 2> '" + err_path.string() + "'";
  const int status = std::system(cmd.c_str());
  const int rc = status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (rc != 0 || !fs::exists(out_path))
    FAIL("metrics oracle failed (exit status " << rc << "): " << cmd << "\n"
                                               << test::read_file(err_path)
                                               << "\nIt needs Debian's /usr/bin/python3 with python3-numpy, "
                                                  "python3-sklearn and python3-skimage "
                                                  "(apt-get install python3-sklearn python3-skimage).");
  return Json::parse(test::read_file(out_path));
}

// Compares numbers and nulls; counts what it compared and the largest difference.
struct Comparer {
  std::size_t compared = 0;
  double max_diff = 0;

  void number(const Json& mine, const Json& want, const std::string& where) {
    INFO(where << ": plugin " << mine.dump() << ", oracle " << want.dump());
    if (want.is_null()) {
      CHECK(mine.is_null());
      return;
    }
    REQUIRE(mine.is_number());
    const double d = std::abs(mine.get<double>() - want.get<double>());
    max_diff = std::max(max_diff, d);
    ++compared;
    CHECK(d <= kTol);
  }
  void numbers(const Json& mine, const Json& want, const std::string& where) {
    REQUIRE(mine.is_array());
    REQUIRE(want.is_array());
    INFO(where << ": plugin has " << mine.size() << " values, oracle " << want.size());
    REQUIRE(mine.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) number(mine[i], want[i], where + "[" + std::to_string(i) + "]");
  }

  // `mine`: the plugin's part (metrics as {"value", "ci95"}); `want`: the oracle's (values).
  void part(const Json& mine, const Json& want, const std::string& where) {
    CHECK(mine.at("n") == want.at("n"));
    for (const auto& [key, v] : want.at("metrics").items()) {
      REQUIRE(mine.at("metrics").contains(key));
      number(mine["metrics"][key]["value"], v, where + ".metrics." + key);
    }
    if (want.contains("per_class")) {
      for (const auto& [cls, entry] : want["per_class"].items()) {
        const Json& m = mine.at("per_class").at(cls);
        CHECK(m.at("support") == entry.at("support"));
        for (const auto& [key, v] : entry.items())
          if (key != "support") number(m.at(key).at("value"), v, where + ".per_class." + cls + "." + key);
      }
      CHECK(mine.at("confusion") == want.at("confusion"));
    }
    if (want.contains("roc")) {
      for (const auto& [cls, curve] : want["roc"].items()) {
        const Json& m = mine.at("roc").at(cls);
        numbers(m.at("fpr"), curve.at("fpr"), where + ".roc." + cls + ".fpr");
        numbers(m.at("tpr"), curve.at("tpr"), where + ".roc." + cls + ".tpr");
        number(m.at("auc"), curve.at("auc"), where + ".roc." + cls + ".auc");
      }
      const Json& bins = mine.at("calibration").at("bins");
      const Json& wbins = want.at("calibration").at("bins");
      REQUIRE(bins.size() == wbins.size());
      for (std::size_t b = 0; b < wbins.size(); ++b) {
        const std::string w = where + ".calibration.bins[" + std::to_string(b) + "].";
        number(bins[b].at("lo"), wbins[b].at("lo"), w + "lo");
        number(bins[b].at("hi"), wbins[b].at("hi"), w + "hi");
        CHECK(bins[b].at("count") == wbins[b].at("count"));
        number(bins[b].at("confidence"), wbins[b].at("confidence"), w + "confidence");
        number(bins[b].at("accuracy"), wbins[b].at("accuracy"), w + "accuracy");
      }
    }
    if (want.contains("per_region"))
      for (const auto& [region, entry] : want["per_region"].items())
        for (const auto& [key, v] : entry.items())
          number(mine.at("per_region").at(region).at(key).at("value"), v, where + ".per_region." + region + "." + key);
  }

  void all(const Json& mine, const Json& want, const std::string& name) {
    part(mine, want.at("all"), name);
    REQUIRE(mine.at("by_band").size() == want.at("by_band").size());
    for (const auto& [band, w] : want.at("by_band").items()) {
      REQUIRE(mine.at("by_band").contains(band));
      part(mine["by_band"][band], w, name + ".by_band." + band);
    }
  }
};

// Every interval contains its point value (checked on the headline metrics and per class).
void check_intervals_contain_points(const Json& metrics, const std::string& where) {
  for (const auto& [key, m] : metrics.items()) {
    INFO(where << "." << key << ": " << m.dump());
    if (m.at("value").is_null()) continue;
    REQUIRE(m.at("ci95").is_array());
    const double v = m["value"].get<double>(), lo = m["ci95"][0].get<double>(), hi = m["ci95"][1].get<double>();
    CHECK(lo <= hi);
    CHECK(lo <= v + 1e-12);
    CHECK(v <= hi + 1e-12);
  }
}

sdk::EvalInput subset(const sdk::EvalInput& in, const std::string& band) {
  sdk::EvalInput s = in;
  s.predictions.clear();
  for (const auto& p : in.predictions)
    if ((p.band.empty() ? "unknown" : p.band) == band) s.predictions.push_back(p);
  return s;
}

}  // namespace

TEST_CASE("classification metrics match scikit-learn, overall and per band", "[evaluate]") {
  struct Case {
    std::string name;
    sdk::EvalInput in;
  };
  ClassifyOptions four;
  four.never_predicted = 2;
  four.absent = 3;
  ClassifyOptions ten;
  ten.quantized = true;
  ten.flip = 0.1;
  ten.never_predicted = 9;
  ClassifyOptions small;
  small.absent = 0;
  small.flip = 0.2;
  std::vector<Case> cases = {
      {"binary", classify_input(11, 2, 400)},
      {"four_never_predicted_absent", classify_input(12, 4, 500, four)},
      {"ten_quantized_ties", classify_input(13, 10, 1200, ten)},
      {"three_small", classify_input(14, 3, 40, small)},
      {"five_continuous", classify_input(15, 5, 700)},
  };
  Json oracle_in = Json::array();
  for (const auto& c : cases) oracle_in.push_back(oracle_case(c.name, c.in));
  const Json oracle = run_oracle("classify", oracle_in);

  Comparer cmp;
  for (const auto& c : cases) {
    INFO("case " << c.name);
    const Json mine = run(kClassify, c.in, {{"bootstrap", 50}});
    std::ofstream(output_dir() / (c.name + ".plugin.json")) << mine.dump(1);
    cmp.all(mine, oracle["cases"][c.name], c.name);
  }
  // Needed so that the cases exercise what they are named after.
  const Json& four_case = oracle["cases"]["four_never_predicted_absent"]["all"];
  CHECK(four_case["per_class"]["c3"]["support"] == 0);
  CHECK(four_case["per_class"]["c3"]["auc"].is_null());
  CHECK(four_case["sklearn_ovr_raised"] == true);  // what we document: sklearn raises, we skip the class
  CHECK(four_case["per_class"]["c2"]["precision"] == 0.0);
  CHECK(oracle["cases"]["five_continuous"]["all"]["sklearn_ovr_raised"] == false);
  WARN("classification: " << cmp.compared << " numbers compared with scikit-learn " << oracle["sklearn_version"]
                          << ", largest difference " << cmp.max_diff);
  CHECK(cmp.compared > 2000);
}

TEST_CASE("recommendation metrics match scikit-image's CIEDE2000, overall and per band", "[evaluate]") {
  const auto in = recommend_input(21, 600);
  const auto small = recommend_input(22, 7);  // odd and even band sizes for the median
  const Json oracle = run_oracle("recommend", Json::array({oracle_case("recommend", in), oracle_case("small", small)}));
  Comparer cmp;
  const Json mine = run(kRecommend, in, {{"bootstrap", 50}});
  std::ofstream(output_dir() / "recommend.plugin.json") << mine.dump(1);
  cmp.all(mine, oracle["cases"]["recommend"], "recommend");
  cmp.all(run(kRecommend, small, {{"bootstrap", 50}}), oracle["cases"]["small"], "small");
  const Json& all = oracle["cases"]["recommend"]["all"]["metrics"];
  // The data span both thresholds, so the shares are tested.
  CHECK(all["share_under_2_3"].get<double>() > 0.1);
  CHECK(all["share_under_5"].get<double>() < 0.95);
  WARN("recommendation: " << cmp.compared << " numbers compared with scikit-image " << oracle["skimage_version"]
                          << ", largest difference " << cmp.max_diff);
}

TEST_CASE("bootstrap intervals contain the point, are reproducible and follow the seed", "[evaluate]") {
  const auto in = classify_input(31, 4, 600);
  const Json a = run(kClassify, in, {{"bootstrap", 400}});
  check_intervals_contain_points(a["metrics"], "metrics");
  for (const auto& [cls, entry] : a["per_class"].items()) {
    Json m = entry;
    m.erase("support");
    check_intervals_contain_points(m, "per_class." + cls);
  }
  for (const auto& [band, part] : a["by_band"].items())
    check_intervals_contain_points(part["metrics"], "by_band." + band);
  CHECK(a["bootstrap"]["resamples"] == 400);
  CHECK(a["bootstrap"]["seed"] == 31);

  CHECK(run(kClassify, in, {{"bootstrap", 400}}).dump() == a.dump());
  auto other = in;
  other.seed = 32;
  const Json b = run(kClassify, other, {{"bootstrap", 400}});
  CHECK(b["metrics"]["accuracy"]["value"] == a["metrics"]["accuracy"]["value"]);
  CHECK(b["metrics"]["accuracy"]["ci95"] != a["metrics"]["accuracy"]["ci95"]);
  CHECK(b["metrics"]["log_loss"]["ci95"] != a["metrics"]["log_loss"]["ci95"]);

  const auto rec = recommend_input(33, 300);
  const Json r = run(kRecommend, rec, {{"bootstrap", 400}});
  check_intervals_contain_points(r["metrics"], "recommend.metrics");
  for (const auto& [region, m] : r["per_region"].items()) check_intervals_contain_points(m, "per_region." + region);
  CHECK(run(kRecommend, rec, {{"bootstrap", 400}}).dump() == r.dump());
  auto rec2 = rec;
  rec2.seed = 34;
  CHECK(run(kRecommend, rec2, {{"bootstrap", 400}})["metrics"]["mean_de"]["ci95"] != r["metrics"]["mean_de"]["ci95"]);

  // bootstrap = 0: no intervals, same values.
  const Json none = run(kClassify, in, {{"bootstrap", 0}});
  for (const auto& [key, m] : none["metrics"].items()) {
    CHECK(m["ci95"].is_null());
    CHECK(m["value"] == a["metrics"][key]["value"]);
  }
}

TEST_CASE("per-band results are the results of the band's subset; band_gap compares known bands", "[evaluate]") {
  const auto in = classify_input(41, 3, 500);
  const Json all = run(kClassify, in, {{"bootstrap", 20}});
  REQUIRE(all["by_band"].contains("unknown"));  // "" is reported as "unknown"
  CHECK_FALSE(all["by_band"].contains(""));
  for (const auto& [band, part] : all["by_band"].items()) {
    INFO("band " << band);
    const Json alone = run(kClassify, subset(in, band), {{"bootstrap", 20}});
    CHECK(part["n"] == alone["n"]);
    for (const auto& [key, m] : alone["metrics"].items()) CHECK(part["metrics"][key]["value"] == m["value"]);
    CHECK(part["confusion"] == alone["confusion"]);
    CHECK(part["roc"] == alone["roc"]);
  }
  for (const char* key : {"accuracy", "f1_macro"}) {
    INFO(key);
    const Json& g = all["band_gap"][key];
    REQUIRE(g.is_object());
    double best = -1, worst = 2;
    for (const auto& [band, part] : all["by_band"].items()) {
      if (band == "unknown") continue;
      best = std::max(best, part["metrics"][key]["value"].get<double>());
      worst = std::min(worst, part["metrics"][key]["value"].get<double>());
    }
    CHECK(g["best_value"].get<double>() == best);
    CHECK(g["worst_value"].get<double>() == worst);
    CHECK(all["by_band"][g["best"].get<std::string>()]["metrics"][key]["value"] == best);
    CHECK(all["by_band"][g["worst"].get<std::string>()]["metrics"][key]["value"] == worst);
    CHECK(g["gap"].get<double>() == Approx(best - worst));
    REQUIRE(g["ci95"].is_array());
  }
  // The bands were made to differ: band 5's margin is largest.
  CHECK(all["band_gap"]["accuracy"]["best"] == "5");

  const auto rec = recommend_input(42, 300);
  const Json r = run(kRecommend, rec, {{"bootstrap", 20}});
  const Json& g = r["band_gap"]["mean_de"];
  REQUIRE(g.is_object());
  CHECK(g["best"] == "1");  // lower is better: band 1 has the smallest error
  CHECK(g["worst"] == "5");
  CHECK(g["gap"].get<double>() == Approx(g["worst_value"].get<double>() - g["best_value"].get<double>()));
  for (const auto& [band, part] : r["by_band"].items()) {
    const Json alone = run(kRecommend, subset(rec, band), {{"bootstrap", 0}});
    CHECK(part["metrics"]["mean_de"]["value"] == alone["metrics"]["mean_de"]["value"]);
    CHECK(part["per_region"]["lip"]["median_de"]["value"] == alone["per_region"]["lip"]["median_de"]["value"]);
  }

  // One known band only: nothing to compare.
  auto one = in;
  for (auto& p : one.predictions) p.band = p.band.empty() ? "" : "3";
  CHECK(run(kClassify, one, {{"bootstrap", 0}})["band_gap"]["accuracy"].is_null());
}

TEST_CASE("output shape: the keys the report reads", "[evaluate]") {
  const Json j = run(kClassify, classify_input(51, 3, 200), {{"bootstrap", 10}, {"ece_bins", 10}});
  for (const char* key : {"task", "n", "classes", "bootstrap", "metrics", "per_class", "confusion", "roc",
                          "calibration", "by_band", "band_gap"})
    CHECK(j.contains(key));
  CHECK(j["task"] == "classify");
  CHECK(j["n"] == 200);
  for (const char* key : {"accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro",
                          "precision_micro", "recall_micro", "f1_micro", "precision_weighted", "recall_weighted",
                          "f1_weighted", "roc_auc_macro", "ece", "log_loss"}) {
    INFO(key);
    REQUIRE(j["metrics"].contains(key));
    CHECK(j["metrics"][key].contains("value"));
    CHECK(j["metrics"][key].contains("ci95"));
  }
  CHECK(j["calibration"]["bins"].size() == 10);
  CHECK(j["confusion"].size() == 3);
  const Json& roc = j["roc"]["c0"];
  CHECK(roc["fpr"][0] == 0.0);
  CHECK(roc["fpr"].back() == 1.0);
  CHECK(roc["tpr"].back() == 1.0);

  // Without probabilities: the label metrics only.
  auto in = classify_input(52, 3, 100);
  for (auto& p : in.predictions) p.probs.clear();
  const Json np = run(kClassify, in, {{"bootstrap", 10}});
  CHECK(np["metrics"].contains("accuracy"));
  CHECK_FALSE(np["metrics"].contains("roc_auc_macro"));
  CHECK_FALSE(np["metrics"].contains("ece"));
  CHECK_FALSE(np.contains("roc"));
  CHECK_FALSE(np.contains("calibration"));

  const Json r = run(kRecommend, recommend_input(53, 50), {{"bootstrap", 10}});
  for (const char* key : {"task", "n", "regions", "metrics", "per_region", "by_band", "band_gap"})
    CHECK(r.contains(key));
  for (const char* key : {"mean_de", "median_de", "share_under_2_3", "share_under_5"})
    CHECK(r["metrics"].contains(key));
  CHECK(r["per_region"].size() == kRegions.size());
}

TEST_CASE("evaluators stop between bootstrap rounds when cancelled", "[evaluate]") {
  const auto in = classify_input(61, 3, 300);
  CancelAfter progress(3);
  auto r = make(kClassify, {{"bootstrap", 1000}})->evaluate(in, progress);
  CHECK(r.status().code() == sdk::StatusCode::kCancelled);
  CHECK(progress.done() == 3);

  CancelAfter progress2(5);
  auto r2 = make(kRecommend, {{"bootstrap", 1000}})->evaluate(recommend_input(62, 100), progress2);
  CHECK(r2.status().code() == sdk::StatusCode::kCancelled);
  CHECK(progress2.done() == 5);
}

TEST_CASE("bad input is refused with the sample and the field named", "[evaluate]") {
  const auto good = classify_input(71, 3, 20);
  auto expect_invalid = [](const std::string& id, const sdk::EvalInput& in, std::vector<std::string> words) {
    sdk::NullProgress progress;
    auto r = make(id, {{"bootstrap", 5}})->evaluate(in, progress);
    INFO(r.status().message());
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == sdk::StatusCode::kInvalidArgument);
    for (const auto& w : words) CHECK(r.status().message().find(w) != std::string::npos);
  };

  auto empty = good;
  empty.predictions.clear();
  expect_invalid(kClassify, empty, {"no predictions"});

  auto short_probs = good;
  short_probs.predictions[7].probs.pop_back();
  expect_invalid(kClassify, short_probs, {"'s7'", "probs", "expected 3"});

  auto logits = good;
  logits.predictions[4].probs = {2.0, -1.0, 0.5};
  expect_invalid(kClassify, logits, {"'s4'", "probs"});

  auto truth = good;
  truth.predictions[5].truth = 3;
  expect_invalid(kClassify, truth, {"'s5'", "truth", "0..2"});
  truth.predictions[5].truth = -1;
  expect_invalid(kClassify, truth, {"'s5'", "truth"});

  auto pred = good;
  pred.predictions[2].predicted = 7;
  expect_invalid(kClassify, pred, {"'s2'", "predicted"});

  auto task = good;
  task.task = "recommend";
  expect_invalid(kClassify, task, {"classify", "recommend"});

  auto dup = good;
  dup.classes[1] = "c0";
  expect_invalid(kClassify, dup, {"c0", "twice"});

  const auto rec = recommend_input(72, 10);
  auto values = rec;
  values.predictions[3].values.pop_back();
  expect_invalid(kRecommend, values, {"'r3'", "values", "expected 12", "4 regions"});
  auto targets = rec;
  targets.predictions[6].targets.push_back(1.0);
  expect_invalid(kRecommend, targets, {"'r6'", "targets", "expected 12"});
  auto nan = rec;
  nan.predictions[1].values[4] = std::nan("");
  expect_invalid(kRecommend, nan, {"'r1'", "values"});
  auto rec_empty = rec;
  rec_empty.predictions.clear();
  expect_invalid(kRecommend, rec_empty, {"no predictions"});
  auto rec_task = rec;
  rec_task.task = "classify";
  expect_invalid(kRecommend, rec_task, {"recommend", "classify"});
}

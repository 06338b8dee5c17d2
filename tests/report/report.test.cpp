// kohl_report's pages from fixture runs made here through RunStore: the runs, their
// metrics per epoch, evaluations and per-sample predictions are FIXTURE DATA written by the
// test (no model was trained); the images are small PNGs drawn here. The checks read the
// numbers back from the page, metrics.json, metrics.csv and compare.json and hold them
// against what the test stored, or recompute them from the stored predictions.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <regex>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "kohl/core/data_store.hpp"
#include "kohl/core/runs.hpp"
#include "kohl/report/html.hpp"
#include "kohl/report/report.hpp"
#include "kohl/report/stats.hpp"
#include "kohl/sdk/color.hpp"
#include "test_support.hpp"

using Json = nlohmann::json;
using namespace kohl;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kClasses = {"cool", "neutral", "warm<&>"};  // escaped on the page

// A project with `n` test images (PNG files drawn here) and snapshot v1 (and v2 when asked).
struct FixtureProject {
  test::ScratchDir dir{"report"};
  std::unique_ptr<core::Project> project;
  std::vector<std::int64_t> images;

  explicit FixtureProject(int n) {
    auto p = core::Project::create((dir / "p.kohl").string(), "report fixture");
    REQUIRE(p);
    project = std::move(p.value());
    auto& db = project->db();
    db.exec("INSERT INTO sources(name) VALUES ('fixture')");
    db.exec("INSERT INTO datasets(name, source_id, format, root, imported) VALUES ('faces', 1, 'folder', '" +
            dir.path().string() + "', '2026-01-01T00:00:00Z')");
    fs::create_directories(dir / "img");
    for (int i = 0; i < n; ++i) {
      cv::Mat img(48, 48, CV_8UC3, cv::Scalar(40 + 4 * i, 120, 200 - 3 * i));
      cv::circle(img, {24, 24}, 10 + i % 8, cv::Scalar(20, 20, 220), -1);
      const std::string path = (dir / "img" / ("f" + std::to_string(i) + ".png")).string();
      REQUIRE(cv::imwrite(path, img));
      SQLite::Statement q(db, "INSERT INTO images(dataset_id, path, rel_path, hash, bytes, format, width, height, split) "
                              "VALUES (1, ?, ?, ?, 1, 'png', 48, 48, 'test')");
      q.bind(1, path);
      q.bind(2, "f" + std::to_string(i) + ".png");
      q.bind(3, "hash" + std::to_string(i));
      q.exec();
      images.push_back(db.getLastInsertRowid());
    }
    core::DataStore store(*project);
    REQUIRE(store.snapshot("v1"));
    REQUIRE(store.snapshot("v2"));
  }
};

// Classification predictions: sample i has truth i % 3; the model is right unless
// wrong(i); probabilities put `conf` on the predicted class.
std::vector<std::pair<std::int64_t, Json>> classify_predictions(const std::vector<std::int64_t>& images,
                                                                const std::function<bool(int)>& wrong) {
  std::vector<std::pair<std::int64_t, Json>> out;
  for (int i = 0; i < static_cast<int>(images.size()); ++i) {
    const int t = i % 3, p = wrong(i) ? (t + 1) % 3 : t;
    const double conf = 0.5 + 0.04 * (i % 10);
    std::vector<double> probs(3, (1 - conf) / 2);
    probs[static_cast<std::size_t>(p)] = conf;
    out.push_back({images[static_cast<std::size_t>(i)],
                   {{"truth", kClasses[static_cast<std::size_t>(t)]},
                    {"predicted", kClasses[static_cast<std::size_t>(p)]},
                    {"probs", probs},
                    {"band", i % 2 ? "monk 1-3" : "monk 7-10"}}});
  }
  return out;
}

double accuracy(const std::vector<std::pair<std::int64_t, Json>>& preds) {
  int right = 0;
  for (const auto& [id, r] : preds) right += r["truth"] == r["predicted"];
  return static_cast<double>(right) / static_cast<double>(preds.size());
}

// Evaluator-shaped metrics (fixture values, with the accuracy taken from the predictions).
Json classify_metrics(const std::vector<std::pair<std::int64_t, Json>>& preds, double f1) {
  const double acc = accuracy(preds);
  Json m = {{"task", "classify"},
            {"n", preds.size()},
            {"classes", kClasses},
            {"bootstrap", {{"resamples", 1000}, {"seed", 5}, {"interval", "percentile"}, {"level", 0.95}}},
            {"metrics",
             {{"accuracy", {{"value", acc}, {"ci95", {acc - 0.1, acc + 0.1}}}},
              {"f1_macro", {{"value", f1}, {"ci95", {f1 - 0.2, f1 + 0.1}}}},
              {"ece", {{"value", 0.123}, {"ci95", {0.05, 0.2}}}}}},
            {"per_class", Json::object()},
            {"confusion", {{5, 1, 0}, {0, 4, 2}, {1, 0, 5}}},
            {"roc", Json::object()},
            {"calibration", {{"bins", {{{"lo", 0.0}, {"hi", 0.5}, {"count", 3}, {"confidence", 0.45}, {"accuracy", 0.33}},
                                       {{"lo", 0.5}, {"hi", 1.0}, {"count", 15}, {"confidence", 0.7}, {"accuracy", 0.8}}}}}},
            {"by_band",
             {{"monk 1-3", {{"n", 9}, {"metrics", {{"accuracy", {{"value", 0.9}, {"ci95", {0.7, 1.0}}}}}}}},
              {"monk 7-10", {{"n", 9}, {"metrics", {{"accuracy", {{"value", 0.55}, {"ci95", {0.3, 0.8}}}}}}}}}},
            {"band_gap",
             {{"accuracy", {{"best", "monk 1-3"}, {"worst", "monk 7-10"}, {"best_value", 0.9}, {"worst_value", 0.55},
                            {"gap", 0.35}, {"ci95", {0.05, 0.6}}}}}}};
  for (std::size_t c = 0; c < kClasses.size(); ++c) {
    m["per_class"][kClasses[c]] = {{"precision", {{"value", 0.5 + 0.1 * c}, {"ci95", {0.3, 0.9}}}},
                                   {"recall", {{"value", 0.6}, {"ci95", {0.4, 0.8}}}},
                                   {"f1", {{"value", 0.55}, {"ci95", {0.35, 0.75}}}},
                                   {"auc", {{"value", 0.8}, {"ci95", {0.7, 0.9}}}},
                                   {"support", 6}};
    m["roc"][kClasses[c]] = {{"fpr", {0.0, 0.1, 0.5, 1.0}}, {"tpr", {0.0, 0.6, 0.9, 1.0}}, {"auc", 0.8}};
  }
  return m;
}

std::string make_run(core::RunStore& runs, const std::string& snapshot, const Json& params, double lr) {
  Json config = {{"backbone", "org.kohl.backbone.small_cnn"},
                 {"backbone_version", "1.0.0"},
                 {"backbone_params", params},
                 {"label_set", "undertone"},
                 {"classes", kClasses},
                 {"seed", 5},
                 {"epochs", 2},
                 {"lr", lr},
                 {"augmenters", Json::array()}};
  Json env = {{"kohl", "0.1.0"}, {"libtorch", "1.13.0"}, {"machine", "fixture <machine>"}, {"cpus", 2}};
  auto r = runs.create_run("classify", snapshot, config, env);
  REQUIRE(r);
  const std::string name = r.value().name;
  REQUIRE(runs.log_metrics(name, 1, "train", {{"loss", 1.2}, {"accuracy", 0.4}}));
  REQUIRE(runs.log_metrics(name, 2, "train", {{"loss", 0.8}, {"accuracy", 0.6}}));
  REQUIRE(runs.log_metrics(name, 1, "val", {{"loss", 1.3}, {"accuracy", 0.35}}));
  REQUIRE(runs.log_metrics(name, 2, "val", {{"loss", 1.0}, {"accuracy", 0.5}}));
  REQUIRE(runs.set_status(name, core::kRunDone));
  return name;
}

std::string number_on_page(double v) { return report::fmt(v, 3); }

}  // namespace

TEST_CASE("run report: numbers, escaping, worst errors, files", "[report]") {
  FixtureProject fp(18);
  core::RunStore runs(*fp.project);
  const std::string name = make_run(runs, "v1", {{"base_width", 16}, {"note", "<script>alert(1)</script>"}}, 0.003);
  const auto preds = classify_predictions(fp.images, [](int i) { return i % 4 == 0; });
  const Json metrics = classify_metrics(preds, 0.61);

  SECTION("a run without an evaluation is refused, saying to run kohl eval") {
    auto r = report::load_run(*fp.project, name);
    REQUIRE_FALSE(r);
    CHECK(r.status().message().find("kohl eval") != std::string::npos);
    CHECK(r.status().message().find(name) != std::string::npos);
    CHECK_FALSE(report::load_run(*fp.project, "run-99"));
  }

  auto ev = runs.add_evaluation(name, "v1", "test", std::nullopt, "org.kohl.eval.classify@1.0.0", metrics, preds);
  REQUIRE(ev);
  auto loaded = report::load_run(*fp.project, name);
  REQUIRE(loaded);
  CHECK(loaded.value().evaluation.id == ev.value());
  CHECK(loaded.value().evaluation.predictions.size() == preds.size());
  const auto page = report::render_run(loaded.value(), report::project_images(*fp.project));

  // The stored numbers are on the page and in metrics.json.
  CHECK(page.json["metrics"] == metrics);
  CHECK(page.json["evaluation"]["id"] == ev.value());
  CHECK(page.json["run"]["config"]["backbone_params"]["base_width"] == 16);
  const double acc = accuracy(preds);
  CHECK(page.html.find(number_on_page(acc)) != std::string::npos);
  CHECK(page.html.find("0.610") != std::string::npos);                 // F1 macro
  CHECK(page.html.find("Gap in Accuracy: 0.350") != std::string::npos);  // the band gap callout
  CHECK(page.html.find("The interval excludes 0") != std::string::npos);
  // metrics.csv: the accuracy row with its interval.
  char row[200];
  std::snprintf(row, sizeof row, ",overall,,,accuracy,%.17g,%.17g,%.17g\n", acc, acc - 0.1, acc + 0.1);
  CHECK(page.csv.find(row) != std::string::npos);
  CHECK(page.csv.find(",band,monk 7-10,,accuracy,0.55") != std::string::npos);
  CHECK(page.csv.find(",class,,warm<&>,precision,") != std::string::npos);

  // Everything from the project is escaped: no live markup from names or parameters.
  CHECK(page.html.find("<script") == std::string::npos);
  CHECK(page.html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(page.html.find("warm&lt;&amp;&gt;") != std::string::npos);
  CHECK(page.html.find("warm<&>") == std::string::npos);
  CHECK(page.html.find("fixture &lt;machine&gt;") != std::string::npos);
  // Self-contained: no external reference of any kind.
  CHECK(page.html.find("http://") == page.html.find("http://www.w3.org/2000/svg"));
  CHECK(page.html.find("https://") == std::string::npos);
  CHECK(page.html.find("src=\"data:image/jpeg;base64,") != std::string::npos);

  // Worst errors: the misclassified samples, the lowest probability of the true class first.
  std::vector<std::pair<double, std::int64_t>> expected;
  for (const auto& [id, r] : preds)
    if (r["truth"] != r["predicted"]) {
      const auto t = std::find(kClasses.begin(), kClasses.end(), r["truth"].get<std::string>()) - kClasses.begin();
      expected.push_back({r["probs"][static_cast<std::size_t>(t)].get<double>(), id});
    }
  std::stable_sort(expected.begin(), expected.end(), [](auto& a, auto& b) { return a.first < b.first; });
  const Json& worst = page.json["worst_errors"];
  REQUIRE(worst.size() == expected.size());
  for (std::size_t i = 0; i < worst.size(); ++i) {
    CHECK(worst[i]["image"] == expected[i].second);
    CHECK(worst[i]["p_true"].get<double>() == Approx(expected[i].first));
  }
  CHECK(page.html.find(std::to_string(expected.size()) + " of 18 samples misclassified") != std::string::npos);

  // Files land in the folder.
  const fs::path out = fp.dir / "out";
  REQUIRE(report::write_files(out.string(), {{"index.html", page.html}, {"metrics.csv", page.csv}}));
  CHECK(test::read_file(out / "index.html") == page.html);

  // --evaluation: an id of another run is refused.
  CHECK_FALSE(report::load_run(*fp.project, name, ev.value() + 100));
}

TEST_CASE("compare: deltas, paired tests, config diff, same-data refusal", "[report]") {
  FixtureProject fp(60);
  core::RunStore runs(*fp.project);
  const std::string a = make_run(runs, "v1", {{"base_width", 16}}, 0.003);
  const std::string b = make_run(runs, "v1", {{"base_width", 32}}, 0.003);
  // A is wrong on every third sample, B on every tenth: B is clearly better.
  const auto pa = classify_predictions(fp.images, [](int i) { return i % 3 == 0; });
  const auto pb = classify_predictions(fp.images, [](int i) { return i % 10 == 0; });
  REQUIRE(runs.add_evaluation(a, "v1", "test", std::nullopt, "e@1", classify_metrics(pa, 0.5), pa));
  REQUIRE(runs.add_evaluation(b, "v1", "test", std::nullopt, "e@1", classify_metrics(pb, 0.7), pb));
  auto ra = report::load_run(*fp.project, a), rb = report::load_run(*fp.project, b);
  REQUIRE(ra);
  REQUIRE(rb);
  report::CompareOptions opt;
  opt.resamples = 500;
  auto page = report::render_compare({ra.value(), rb.value()}, opt);
  REQUIRE(page);
  const Json& j = page.value().json;
  CHECK(j["different_data"] == false);
  CHECK(j["reference"] == a);
  // The config diff names exactly what changed.
  REQUIRE(j["config_diff"].size() == 1);
  CHECK(j["config_diff"][0]["key"] == "backbone_params.base_width");
  CHECK(j["config_diff"][0]["values"] == Json::array({"16", "32"}));
  // Accuracy row: stored values, delta, best, paired bootstrap from the predictions.
  const Json* acc = nullptr;
  for (const auto& m : j["metrics"])
    if (m["metric"] == "accuracy") acc = &m;
  REQUIRE(acc);
  const double va = accuracy(pa), vb = accuracy(pb);
  CHECK((*acc)["values"][0]["value"].get<double>() == Approx(va));
  CHECK((*acc)["values"][1]["value"].get<double>() == Approx(vb));
  CHECK((*acc)["best"] == Json::array({b}));
  const Json& d = (*acc)["deltas"][0];
  CHECK(d["delta"].get<double>() == Approx(vb - va));
  CHECK(d["paired_delta"].get<double>() == Approx(vb - va));
  CHECK(d["n_paired"] == 60);
  CHECK(d["significant"] == true);
  CHECK(d["ci95"][0].get<double>() > 0);
  // The same numbers the library gives on the same paired samples.
  std::vector<int> truth, xa, xb;
  std::vector<bool> ca, cb;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    auto idx = [](const Json& s) {
      return static_cast<int>(std::find(kClasses.begin(), kClasses.end(), s.get<std::string>()) - kClasses.begin());
    };
    truth.push_back(idx(pa[i].second["truth"]));
    xa.push_back(idx(pa[i].second["predicted"]));
    xb.push_back(idx(pb[i].second["predicted"]));
    ca.push_back(truth.back() == xa.back());
    cb.push_back(truth.back() == xb.back());
  }
  const auto boot = report::paired_bootstrap(60, [&](const auto& ix) {
    return std::make_pair(report::accuracy_of(truth, xa, ix), report::accuracy_of(truth, xb, ix));
  }, 500, 1);
  CHECK(d["ci95"][0].get<double>() == Approx(boot.ci95->first));
  CHECK(d["p"].get<double>() == Approx(boot.p));
  const auto mc = report::mcnemar(ca, cb);
  REQUIRE(j["mcnemar"].size() == 1);
  CHECK(j["mcnemar"][0]["only_reference_right"] == mc.only_a);
  CHECK(j["mcnemar"][0]["only_run_right"] == mc.only_b);
  CHECK(j["mcnemar"][0]["method"] == mc.method);
  CHECK(j["mcnemar"][0]["p"].get<double>() == Approx(mc.p));
  // ECE: lower is better and equal in both: both marked best.
  for (const auto& m : j["metrics"])
    if (m["metric"] == "ece") CHECK(m["best"].size() == 2);
  // Band deltas.
  CHECK(j["bands"]["monk 1-3"]["accuracy"][1]["delta"].get<double>() == Approx(0.0));
  // ... and a paired bootstrap over each band's own samples (30 of the 60 here).
  CHECK(j["bands"]["monk 1-3"]["accuracy"][1]["n_paired"] == 30);
  CHECK(j["bands"]["monk 1-3"]["accuracy"][1]["delta_ci95"].is_array());
  // On the page: the delta, the star, McNemar's method.
  const std::string& html = page.value().html;
  CHECK(html.find(report::fmt_signed(vb - va, 3)) != std::string::npos);
  CHECK(html.find("\u2605 " + report::fmt(vb, 3)) != std::string::npos);
  CHECK(html.find(mc.method) != std::string::npos);
  CHECK(html.find("class=\"banner\"") == std::string::npos);

  SECTION("runs evaluated on another snapshot or other samples are refused unless allowed") {
    const std::string c = make_run(runs, "v1", {{"base_width", 16}}, 0.01);
    std::vector<std::pair<std::int64_t, Json>> pc(pa.begin(), pa.begin() + 40);
    REQUIRE(runs.add_evaluation(c, "v2", "test", std::nullopt, "e@1", classify_metrics(pc, 0.5), pc));
    auto rc = report::load_run(*fp.project, c);
    REQUIRE(rc);
    auto refused = report::render_compare({ra.value(), rc.value()});
    REQUIRE_FALSE(refused);
    const std::string msg = refused.status().message();
    CHECK(msg.find("snapshot 'v2'") != std::string::npos);
    CHECK(msg.find("20 only in " + a) != std::string::npos);
    CHECK(msg.find("--allow-different-data") != std::string::npos);
    report::CompareOptions allow;
    allow.allow_different_data = true;
    allow.resamples = 100;
    auto allowed = report::render_compare({ra.value(), rc.value()}, allow);
    REQUIRE(allowed);
    CHECK(allowed.value().json["different_data"] == true);
    CHECK(allowed.value().html.find("class=\"banner\"") < allowed.value().html.find("<h1>"));
    // Paired tests on the 40 shared samples.
    for (const auto& m : allowed.value().json["metrics"])
      if (m["metric"] == "accuracy") CHECK(m["deltas"][0]["n_paired"] == 40);
  }
  SECTION("fewer than two runs, the same run twice") {
    CHECK_FALSE(report::render_compare({ra.value()}));
    CHECK_FALSE(report::render_compare({ra.value(), ra.value()}));
  }
}

TEST_CASE("attributes evaluations render one section per head; unknown tasks do not crash", "[report]") {
  FixtureProject fp(12);
  core::RunStore runs(*fp.project);
  const std::string a = make_run(runs, "v1", Json::object(), 0.003);
  const auto preds = classify_predictions(fp.images, [](int i) { return i % 4 == 0; });
  // The attributes evaluator's shape: {"task": "attributes", "heads": {label set: classify output}}.
  Json heads = {{"task", "attributes"},
                {"heads", {{"undertone", classify_metrics(preds, 0.4)}, {"makeup", {{"n", 12}}}}}};
  std::vector<std::pair<std::int64_t, Json>> hp;
  for (const auto& [id, r] : preds) hp.push_back({id, {{"heads", {{"undertone", r}}}, {"band", r["band"]}}});
  REQUIRE(runs.add_evaluation(a, "v1", "test", std::nullopt, "attr@1", heads, hp));
  auto ra = report::load_run(*fp.project, a);
  REQUIRE(ra);
  const auto page = report::render_run(ra.value(), nullptr);
  CHECK(page.html.find("Head undertone") != std::string::npos);
  CHECK(page.html.find("Head makeup: not rendered") != std::string::npos);
  CHECK(page.html.find(report::fmt(accuracy(preds), 3)) != std::string::npos);
  CHECK(page.csv.find("undertone,overall,,,accuracy,") != std::string::npos);
  CHECK(page.json["worst_errors"][0]["head"] == "undertone");
  CHECK(page.json["worst_errors"][0]["errors"].size() == 3);

  // Two attributes runs compare head by head, with paired tests on each head's samples.
  const std::string a2 = make_run(runs, "v1", Json::object(), 0.02);
  REQUIRE(runs.add_evaluation(a2, "v1", "test", std::nullopt, "attr@1", heads, hp));
  auto ra2 = report::load_run(*fp.project, a2);
  REQUIRE(ra2);
  auto attr_cmp = report::render_compare({ra.value(), ra2.value()});
  REQUIRE(attr_cmp);
  bool head_row = false;
  for (const auto& m : attr_cmp.value().json["metrics"])
    if (m["head"] == "undertone" && m["metric"] == "accuracy") {
      head_row = true;
      CHECK(m["deltas"][0]["n_paired"] == 12);
      CHECK(m["deltas"][0]["delta"].get<double>() == Approx(0.0));
    }
  CHECK(head_row);
  CHECK(attr_cmp.value().html.find("Head undertone") != std::string::npos);

  const std::string b = make_run(runs, "v1", Json::object(), 0.01);
  Json odd = {{"task", "segmentation"}, {"metrics", {{"miou", 0.5}}}};
  REQUIRE(runs.add_evaluation(b, "v1", "test", std::nullopt, "seg@1", odd, {}));
  auto rb = report::load_run(*fp.project, b);
  REQUIRE(rb);
  const auto odd_page = report::render_run(rb.value(), nullptr);
  CHECK(odd_page.html.find("no charts for this task yet") != std::string::npos);
  CHECK(odd_page.html.find("0.500") != std::string::npos);
  auto cmp = report::render_compare({ra.value(), rb.value()});
  REQUIRE_FALSE(cmp);
  CHECK(cmp.status().message().find("different tasks") != std::string::npos);
}

TEST_CASE("escape, base64, number formats", "[report]") {
  CHECK(report::escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  const std::string s = "Kohl!";
  CHECK(report::base64(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) == "S29obCE=");
  CHECK(report::base64(reinterpret_cast<const std::uint8_t*>("ab"), 2) == "YWI=");
  CHECK(report::base64(reinterpret_cast<const std::uint8_t*>("abc"), 3) == "YWJj");
  CHECK(report::fmt(-0.0001, 3) == "0.000");
  CHECK(report::fmt_signed(0.0125, 3) == "+0.013");  // printf rounding of the binary value
  CHECK(report::fmt(std::nullopt) == "\u2013");
  CHECK(report::fmt_p(0.0004) == "<0.001");
}

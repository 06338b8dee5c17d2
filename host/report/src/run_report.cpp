// The report of one run's evaluation (see report.hpp): what was run, learning curves,
// metrics with intervals, per-band table and gaps, the task's charts, the worst errors.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "kohl/core/version.hpp"
#include "kohl/report/html.hpp"
#include "kohl/report/report.hpp"
#include "kohl/report/svg.hpp"
#include "page.hpp"

namespace kohl::report {

using namespace detail;

namespace {

std::string metric_cell(const MetricValue& m, int digits = 3) {
  std::string s = fmt(m.value, digits);
  if (m.ci) s += " <span class=\"ci\">[" + fmt(m.ci->first, digits) + ", " + fmt(m.ci->second, digits) + "]</span>";
  return s;
}

int digits_for(const std::string& key) { return key == "mean_de" || key == "median_de" ? 2 : 3; }

// ---- what was run ----------------------------------------------------------------------

std::string what_was_run(const RunData& run, Json& out) {
  const auto& c = run.info.config;
  const auto& env = run.info.environment;
  const auto& e = run.evaluation;
  std::vector<std::pair<std::string, std::string>> rows;
  auto code = [](const std::string& s) { return "<code>" + escape(s) + "</code>"; };
  std::string params;
  const Json& bp = at(c, "backbone_params");
  if (bp.is_object() && !bp.empty()) {
    for (const auto& [k, v] : bp.items()) params += (params.empty() ? "" : ", ") + code(k + "=" + json_text(v));
  } else {
    params = "defaults of the plugin (none set)";
  }
  rows.push_back({"backbone", code(str(at(c, "backbone"), "?")) + " version " + escape(str(at(c, "backbone_version"), "?"))});
  rows.push_back({"backbone parameters", params});
  std::string augs;
  if (at(c, "augmenters").is_array())
    for (const auto& a : at(c, "augmenters")) augs += (augs.empty() ? "" : ", ") + code(json_text(a));
  rows.push_back({"augmenters", augs.empty() ? "none" : augs});
  const Json& boot = at(e.metrics, "bootstrap");
  std::string ev = code(e.evaluator);
  if (boot.is_object())
    ev += " (bootstrap " + escape(json_text(at(boot, "resamples"))) + " resamples, seed " +
          escape(json_text(at(boot, "seed"))) + ", " + escape(str(at(boot, "interval"), "percentile")) + " intervals)";
  rows.push_back({"evaluator", ev});
  rows.push_back({"task", escape(run.info.task) +
                              (str(at(c, "label_set")).empty() ? "" : ", label set " + code(str(at(c, "label_set"))))});
  std::string classes;
  if (at(c, "classes").is_array())
    for (const auto& k : at(c, "classes")) classes += (classes.empty() ? "" : ", ") + escape(json_text(k));
  if (at(c, "heads").is_array()) {  // attributes: one label set and its classes per head
    for (const auto& h : at(c, "heads")) {
      std::string hc;
      if (at(h, "classes").is_array())
        for (const auto& k : at(h, "classes")) hc += (hc.empty() ? "" : ", ") + escape(json_text(k));
      rows.push_back({"head " + str(at(h, "label_set")), hc});
    }
  } else {
    rows.push_back({run.info.task == "recommend" ? "regions" : "classes", classes});
  }
  rows.push_back({"trained on", "snapshot " + code(run.info.snapshot) + ", " +
                                    escape(json_text(at(at(c, "data"), "train"))) + " train / " +
                                    escape(json_text(at(at(c, "data"), "val"))) + " val images"});
  rows.push_back({"evaluated on", "snapshot " + code(e.snapshot) + ", split " + code(e.split) + ", " +
                                      std::to_string(e.predictions.size()) + " samples, evaluation #" +
                                      std::to_string(e.id) + " of " + escape(e.created) +
                                      (e.checkpoint_epoch >= 0 ? ", checkpoint of epoch " + std::to_string(e.checkpoint_epoch)
                                                               : "")});
  rows.push_back({"seed", escape(json_text(at(c, "seed")))});
  std::string opts;
  for (const char* k : {"epochs", "batch", "image_size", "optimizer", "lr", "momentum", "weight_decay", "schedule",
                        "warmup_epochs", "clip_grad_norm", "class_weights", "patience", "device", "threads"})
    if (c.contains(k)) opts += (opts.empty() ? "" : ", ") + code(std::string(k) + "=" + json_text(c[k]));
  rows.push_back({"training options", opts});
  std::string versions;
  for (const char* k : {"kohl", "libtorch", "opencv"})
    if (env.contains(k)) versions += (versions.empty() ? "" : ", ") + escape(std::string(k) + " " + json_text(env[k]));
  rows.push_back({"versions", versions});
  std::string machine = escape(str(at(env, "machine"), "?"));
  if (env.contains("host")) machine += ", host " + escape(json_text(env["host"]));
  if (env.contains("cpus")) machine += ", " + escape(json_text(env["cpus"])) + " CPUs";
  if (env.contains("cuda")) machine += at(env, "cuda") == true ? ", CUDA" : ", no CUDA";
  rows.push_back({"machine", machine});
  const auto t0 = parse_time(run.info.created), t1 = parse_time(run.info.finished);
  std::optional<double> duration;
  if (t0 && t1 && *t1 >= *t0) duration = *t1 - *t0;
  rows.push_back({"status", escape(run.info.status) + (run.info.message.empty() ? "" : " (" + escape(run.info.message) + ")") +
                                ", created " + escape(run.info.created) +
                                (run.info.finished.empty() ? "" : ", finished " + escape(run.info.finished)) +
                                (duration ? ", took " + escape(duration_text(*duration)) : "")});
  out = {{"name", run.info.name},       {"status", run.info.status},   {"task", run.info.task},
         {"snapshot", run.info.snapshot}, {"created", run.info.created}, {"finished", run.info.finished},
         {"duration_s", duration ? Json(*duration) : Json()}, {"config", c}, {"environment", env},
         {"checkpoints", run.checkpoints}};
  return "<section id=\"what\"><h2>What was run</h2>" + kv_table(rows) + "</section>\n";
}

// ---- learning curves ---------------------------------------------------------------------

std::string learning_curves(const RunData& run) {
  const Json& cv = run.curves;
  std::string out = "<section id=\"curves\"><h2>Learning curves</h2>";
  if (!cv.is_object() || cv.empty()) return out + "<p class=\"notice\">No metrics were logged for this run.</p></section>\n";
  out += "<div class=\"charts\">";
  std::vector<svg::Series> loss;
  if (auto t = series_of(cv, "train", "loss"); !t.empty()) loss.push_back({"train", svg::color(0), t});
  if (auto v = series_of(cv, "val", "loss"); !v.empty()) loss.push_back({"validation", svg::color(1), v, true});
  if (!loss.empty()) out += svg::line_chart("Loss per epoch", loss, {"epoch", std::nullopt, std::nullopt, true}, {"loss"});
  const std::string second = run.info.task == "recommend" ? "mean_de" : "accuracy";
  std::vector<svg::Series> m;
  if (auto t = series_of(cv, "train", second); !t.empty()) m.push_back({"train", svg::color(0), t});
  if (auto v = series_of(cv, "val", second); !v.empty()) m.push_back({"validation", svg::color(1), v, true});
  if (!m.empty()) {
    svg::Axis y{metric_label(second)};
    if (second == "accuracy") y.min = 0.0, y.max = 1.0;
    out += svg::line_chart(metric_label(second) + " per epoch", m, {"epoch", std::nullopt, std::nullopt, true}, y);
  }
  return out + "</div></section>\n";
}

// ---- metrics and bands -------------------------------------------------------------------

std::string cards(const Json& ev, const std::string& task) {
  std::string out = "<section class=\"cards\">";
  const Json& m = at(ev, "metrics");
  for (const auto& k : headline_metrics(task)) {
    if (!m.contains(k)) continue;
    const auto v = metric(m[k]);
    const int d = digits_for(k);
    out += "<div class=\"card\"><div class=\"k\">" + escape(metric_label(k)) + (lower_is_better(k) ? " (lower is better)" : "") +
           "</div><div class=\"v\">" + fmt(v.value, d) + "</div><div class=\"ci\">" +
           (v.ci ? "95% CI " + fmt(v.ci->first, d) + " \u2013 " + fmt(v.ci->second, d) : "no interval") + "</div></div>";
  }
  out += "<div class=\"card\"><div class=\"k\">test samples</div><div class=\"v\">" + escape(json_text(at(ev, "n"))) +
         "</div><div class=\"ci\">" + escape(std::to_string(at(ev, "by_band").is_object() ? at(ev, "by_band").size() : 0)) +
         " skin-tone bands</div></div>";
  return out + "</section>\n";
}

std::string gap_callouts(const Json& ev) {
  const Json& gaps = at(ev, "band_gap");
  std::string out;
  if (!gaps.is_object() || gaps.empty()) return out;
  for (const auto& [k, g] : gaps.items()) {
    if (!g.is_object()) {
      out += "<div class=\"callout ok\"><b>" + escape(metric_label(k)) +
             "</b>: no gap computed (fewer than two known skin-tone bands).</div>";
      continue;
    }
    const int d = digits_for(k);
    const auto ci = metric({{"value", at(g, "gap")}, {"ci95", at(g, "ci95")}});
    const bool shows = ci.ci && (ci.ci->first > 0 || ci.ci->second < 0);
    out += std::string("<div class=\"callout") + (shows ? "" : " ok") + "\"><b>Gap in " + escape(metric_label(k)) +
           ": " + fmt(num(at(g, "gap")), d) + "</b> between <b>" + escape(str(at(g, "best"))) + "</b> (best, " +
           fmt(num(at(g, "best_value")), d) + ") and <b>" + escape(str(at(g, "worst"))) + "</b> (worst, " +
           fmt(num(at(g, "worst_value")), d) + ")" +
           (ci.ci ? ", 95% CI [" + fmt(ci.ci->first, d) + ", " + fmt(ci.ci->second, d) + "]" : "") + ". " +
           (shows ? "The interval excludes 0: the data show a real gap between these bands."
                  : "The interval includes 0: these data do not show a gap (more test samples per band would "
                    "narrow it).") +
           "</div>";
  }
  return out;
}

std::string metrics_table(const Json& ev) {
  const Json& m = at(ev, "metrics");
  std::string out = "<table class=\"narrow\"><tr><th>metric</th><th class=\"n\">value</th><th class=\"n\">95% CI</th></tr>";
  for (const auto& k : ordered_metrics(m)) {
    const auto v = metric(m[k]);
    const int d = digits_for(k);
    out += "<tr><td>" + escape(metric_label(k)) + (lower_is_better(k) ? " <span class=\"ci\">(lower is better)</span>" : "") +
           "</td><td class=\"n\">" + fmt(v.value, d) + "</td><td class=\"n ci\">" +
           (v.ci ? "[" + fmt(v.ci->first, d) + ", " + fmt(v.ci->second, d) + "]" : "\u2013") + "</td></tr>";
  }
  return out + "</table>";
}

std::string bands_table(const Json& ev) {
  const Json& bands = at(ev, "by_band");
  if (!bands.is_object() || bands.empty()) return "<p class=\"notice\">No skin-tone bands in this evaluation.</p>";
  std::string out = "<table><tr><th>metric</th>";
  for (const auto& [b, body] : bands.items())
    out += "<th class=\"n\">" + escape(b) + " <span class=\"ci\">n " + escape(json_text(at(body, "n"))) + "</span></th>";
  out += "<th class=\"n\">best \u2013 worst</th></tr>";
  for (const auto& k : ordered_metrics(at(ev, "metrics"))) {
    out += "<tr><td>" + escape(metric_label(k)) + "</td>";
    std::optional<double> best, worst;
    std::string best_band, worst_band;
    for (const auto& [b, body] : bands.items()) {
      const auto v = metric(at(at(body, "metrics"), k));
      out += "<td class=\"n\">" + metric_cell(v, digits_for(k)) + "</td>";
      if (!v.value || b == "unknown") continue;
      const bool lower = lower_is_better(k);
      if (!best || (lower ? *v.value < *best : *v.value > *best)) best = v.value, best_band = b;
      if (!worst || (lower ? *v.value > *worst : *v.value < *worst)) worst = v.value, worst_band = b;
    }
    out += "<td class=\"n\">" +
           (best && worst && best_band != worst_band
                ? fmt(std::abs(*best - *worst), digits_for(k)) + " <span class=\"ci\">" + escape(best_band) + " vs " +
                      escape(worst_band) + "</span>"
                : std::string("\u2013")) +
           "</td></tr>";
  }
  return out + "</table><p class=\"ci\">Each cell: the band's value and its 95% bootstrap interval (each band "
               "resampled on its own). \"best \u2013 worst\" compares the known bands (not \"unknown\").</p>";
}

// ---- classification ----------------------------------------------------------------------

std::vector<std::string> classes_of(const Json& ev, const Json& config) {
  std::vector<std::string> out;
  const Json& c = at(ev, "classes").is_array() ? at(ev, "classes") : at(config, "classes");
  if (c.is_array())
    for (const auto& k : c) out.push_back(json_text(k));
  return out;
}

std::string classify_sections(const Json& ev, const std::vector<std::string>& classes, const std::string& title_prefix) {
  std::string out;
  // confusion + per-class bars
  out += "<section><h2>" + escape(title_prefix) + "Confusion matrix and per-class metrics</h2><div class=\"charts\">";
  const Json& conf = at(ev, "confusion");
  if (conf.is_array() && conf.size() == classes.size()) {
    std::vector<std::vector<double>> counts;
    for (const auto& row : conf) {
      std::vector<double> r;
      if (row.is_array())
        for (const auto& v : row) r.push_back(num(v).value_or(0));
      counts.push_back(r);
    }
    out += svg::heatmap("Confusion matrix", classes, counts);
  } else {
    out += "<p class=\"notice\">No confusion matrix in this evaluation.</p>";
  }
  const Json& pc = at(ev, "per_class");
  if (pc.is_object() && !pc.empty()) {
    std::vector<std::string> cats;
    std::vector<std::vector<std::optional<svg::BarValue>>> vals;
    for (const auto& cls : classes) {
      cats.push_back(cls);
      std::vector<std::optional<svg::BarValue>> row;
      for (const char* k : {"precision", "recall", "f1"}) {
        const auto v = metric(at(at(pc, cls), k));
        if (v.value) row.push_back(svg::BarValue{*v.value, v.ci});
        else row.push_back(std::nullopt);
      }
      vals.push_back(row);
    }
    out += svg::grouped_bars("Per class: precision, recall, F1 with 95% CI", cats, {"precision", "recall", "F1"}, vals,
                             {"", 0.0, 1.0});
    out += "</div><p class=\"ci\">Confusion matrix: rows are the true class, columns the predicted one; the "
           "colour is the share of the row, the diagonal (outlined) the correct predictions.</p>"
           "<table><tr><th>class</th><th class=\"n\">support</th><th class=\"n\">precision</th><th class=\"n\">"
           "recall</th><th class=\"n\">F1</th><th class=\"n\">ROC-AUC</th></tr>";
    for (const auto& cls : classes) {
      const Json& c = at(pc, cls);
      out += "<tr><td>" + escape(cls) + "</td><td class=\"n\">" + escape(json_text(at(c, "support"))) + "</td>";
      for (const char* k : {"precision", "recall", "f1", "auc"}) out += "<td class=\"n\">" + metric_cell(metric(at(c, k))) + "</td>";
      out += "</tr>";
    }
    out += "</table>";
  } else {
    out += "</div>";
  }
  out += "</section>\n";
  // ROC + calibration
  const Json& roc = at(ev, "roc");
  const Json& cal = at(at(ev, "calibration"), "bins");
  if ((roc.is_object() && !roc.empty()) || cal.is_array()) {
    out += "<section><h2>" + escape(title_prefix) + "ROC curves and calibration</h2><div class=\"charts\">";
    if (roc.is_object() && !roc.empty()) {
      std::vector<svg::Series> s;
      std::size_t i = 0;
      for (const auto& cls : classes) {
        const Json& r = at(roc, cls);
        const Json& fpr = at(r, "fpr");
        const Json& tpr = at(r, "tpr");
        ++i;
        if (!fpr.is_array() || fpr.empty() || fpr.size() != tpr.size()) continue;  // named under the charts
        svg::Series ser{cls + " (AUC " + fmt(num(at(r, "auc"))) + ")", svg::color(i - 1), {}};
        ser.step = true;
        ser.markers = false;
        for (std::size_t j = 0; j < fpr.size(); ++j) ser.points.push_back({num(fpr[j]).value_or(0), num(tpr[j]).value_or(0)});
        s.push_back(std::move(ser));
      }
      out += svg::line_chart("ROC, one-vs-rest per class", s, {"false positive rate", 0.0, 1.0},
                             {"true positive rate", 0.0, 1.0}, true, 460, 380);
    }
    if (cal.is_array()) {
      std::vector<svg::ReliabilityBin> bins;
      for (const auto& b : cal)
        bins.push_back({num(at(b, "lo")).value_or(0), num(at(b, "hi")).value_or(0),
                        static_cast<std::int64_t>(num(at(b, "count")).value_or(0)), num(at(b, "confidence")),
                        num(at(b, "accuracy"))});
      const auto ece = metric(at(at(ev, "metrics"), "ece"));
      out += svg::reliability("Calibration (ECE " + fmt(ece.value) + ")", bins);
    }
    out += "</div>";
    if (roc.is_object()) {
      std::string undefined;
      for (const auto& cls : classes)
        if (!at(at(roc, cls), "fpr").is_array() || at(at(roc, cls), "fpr").empty())
          undefined += (undefined.empty() ? "" : ", ") + cls;
      if (!undefined.empty())
        out += "<p class=\"ci\">No ROC curve for class " + escape(undefined) +
               " (no positive or no negative sample in the test split).</p>";
    }
    out += "<p class=\"ci\">Bars above the diagonal: the model is more often right than its confidence says "
           "(under-confident); below: over-confident. Grey strip: samples per confidence bin.</p></section>\n";
  }
  return out;
}

struct ErrorCard {
  std::int64_t image = 0;
  std::string truth, predicted, band;
  double p_true = 0, p_pred = 0;
};

std::vector<ErrorCard> classify_errors(const Evaluation& e, const std::vector<std::string>& classes,
                                       const std::string& head = "") {
  std::vector<ErrorCard> out;
  for (const auto& [image, rec0] : e.predictions) {
    const Json& rec = head.empty() ? rec0 : at(at(rec0, "heads"), head);
    const std::string t = json_text(at(rec, "truth")), p = json_text(at(rec, "predicted"));
    if (!at(rec, "truth").is_string() || t == p) continue;
    ErrorCard c{image, t, p, str(at(rec0, "band"), str(at(rec, "band")))};
    const Json& probs = at(rec, "probs");
    for (std::size_t i = 0; i < classes.size() && probs.is_array() && i < probs.size(); ++i) {
      if (classes[i] == t) c.p_true = num(probs[i]).value_or(0);
      if (classes[i] == p) c.p_pred = num(probs[i]).value_or(0);
    }
    out.push_back(c);
  }
  // Most confidently wrong first: the lowest probability given to the true class.
  std::stable_sort(out.begin(), out.end(), [](const ErrorCard& a, const ErrorCard& b) {
    return a.p_true != b.p_true ? a.p_true < b.p_true : a.p_pred > b.p_pred;
  });
  return out;
}

std::string image_tag(const ImageSource& images, std::int64_t id, std::string& missing_note) {
  const std::string uri = images ? images(id) : "";
  if (uri.empty()) {
    missing_note = "Some images could not be read (moved files: `kohl data relink`).";
    return "<div class=\"noimg\">image #" + std::to_string(id) + " not readable</div>";
  }
  return "<img alt=\"image " + std::to_string(id) + "\" src=\"" + uri + "\">";
}

std::string errors_section(const std::vector<ErrorCard>& errs, std::size_t total, const ImageSource& images, int limit,
                           Json& out_json, const std::string& title_prefix) {
  std::string out = "<section id=\"errors\"><h2>" + escape(title_prefix) + "Worst errors</h2>";
  out_json = Json::array();
  if (errs.empty())
    return out + "<p>No misclassified sample among the " + std::to_string(total) + " evaluated.</p></section>\n";
  out += "<p class=\"sub\">" + std::to_string(errs.size()) + " of " + std::to_string(total) +
         " samples misclassified; the " + std::to_string(std::min<std::size_t>(errs.size(), static_cast<std::size_t>(limit))) +
         " most confidently wrong (lowest probability given to the true class) are shown.</p><div class=\"errors\">";
  std::string missing;
  for (std::size_t i = 0; i < errs.size() && i < static_cast<std::size_t>(limit); ++i) {
    const auto& c = errs[i];
    out += "<div class=\"err\">" + image_tag(images, c.image, missing) + "<div>image #" + std::to_string(c.image) +
           (c.band.empty() ? "" : " \u00b7 " + escape(c.band)) + "</div><div class=\"t\">true: " + escape(c.truth) +
           " (p " + fmt(c.p_true, 2) + ")</div><div class=\"p\">predicted: " + escape(c.predicted) + " (p " +
           fmt(c.p_pred, 2) + ")</div></div>";
    out_json.push_back({{"image", c.image}, {"truth", c.truth}, {"predicted", c.predicted}, {"p_true", c.p_true},
                        {"p_predicted", c.p_pred}, {"band", c.band}});
  }
  out += "</div>";
  if (!missing.empty()) out += "<p class=\"ci\">" + escape(missing) + "</p>";
  return out + "</section>\n";
}

// ---- recommendation ----------------------------------------------------------------------

std::string recommend_sections(const RunData& run, const ImageSource& images, int limit, Json& worst_json) {
  const Json& ev = run.evaluation.metrics;
  std::vector<std::string> regions;
  const Json& rj = at(ev, "regions").is_array() ? at(ev, "regions") : at(run.info.config, "classes");
  if (rj.is_array())
    for (const auto& r : rj) regions.push_back(json_text(r));
  std::string out = "<section id=\"regions\"><h2>CIEDE2000 per region</h2><table><tr><th>region</th>";
  for (const char* k : {"mean_de", "median_de", "share_under_2_3", "share_under_5"})
    out += "<th class=\"n\">" + escape(metric_label(k)) + "</th>";
  out += "</tr>";
  for (const auto& r : regions) {
    out += "<tr><td>" + escape(r) + "</td>";
    for (const char* k : {"mean_de", "median_de", "share_under_2_3", "share_under_5"})
      out += "<td class=\"n\">" + metric_cell(metric(at(at(at(ev, "per_region"), r), k)), digits_for(k)) + "</td>";
    out += "</tr>";
  }
  out += "</table>";
  // Distributions from the stored predictions.
  struct Sample {
    std::int64_t image;
    std::vector<double> de;
    const Json* rec;
    double mean = 0;
  };
  std::vector<Sample> samples;
  std::vector<std::vector<double>> per_region(regions.size());
  std::map<std::string, std::vector<double>> per_band;
  std::vector<double> pooled;
  for (const auto& [image, rec] : run.evaluation.predictions) {
    auto de = record_de(rec, regions.size());
    if (de.empty()) continue;
    Sample s{image, de, &rec};
    for (std::size_t r = 0; r < de.size(); ++r) {
      per_region[r].push_back(de[r]);
      pooled.push_back(de[r]);
      per_band[str(at(rec, "band")).empty() ? "unknown" : str(at(rec, "band"))].push_back(de[r]);
      s.mean += de[r] / static_cast<double>(de.size());
    }
    samples.push_back(std::move(s));
  }
  const std::vector<std::pair<double, std::string>> marks = {{2.3, "2.3 (just noticeable)"}, {5.0, "5"}};
  if (samples.empty()) {
    out += "<p class=\"notice\">The stored predictions hold no predicted/reference colours, so the distributions "
           "and swatches cannot be drawn.</p></section>\n";
    return out;
  }
  std::vector<svg::BoxStats> boxes;
  for (std::size_t r = 0; r < regions.size(); ++r) boxes.push_back(svg::box_stats(regions[r], per_region[r]));
  std::vector<svg::BoxStats> band_boxes;
  for (const auto& [b, v] : per_band) band_boxes.push_back(svg::box_stats(b, v));
  out += "<div class=\"charts\">" +
         svg::box_plot("\u0394E per region (box: quartiles, bar: median, \u25c6: mean, whiskers: min\u2013max)", boxes,
                       "CIEDE2000 \u0394E", marks) +
         svg::box_plot("\u0394E per skin-tone band (all regions)", band_boxes, "CIEDE2000 \u0394E", marks) +
         svg::histogram("Distribution of \u0394E (every sample and region)", pooled, 20, "CIEDE2000 \u0394E", marks) +
         "</div></section>\n";
  // Swatches: samples from best to worst, spread over the distribution.
  std::vector<const Sample*> order;
  for (const auto& s : samples) order.push_back(&s);
  std::stable_sort(order.begin(), order.end(), [](const Sample* a, const Sample* b) { return a->mean < b->mean; });
  auto swatches_of = [&](const Sample& s) {
    std::string h = "<div class=\"sws\">";
    const Json& v = at(*s.rec, "values");
    const Json& t = at(*s.rec, "targets");
    for (std::size_t r = 0; r < regions.size(); ++r) {
      auto c = [&](const Json& x, std::size_t i) { return num(x[3 * r + i]).value_or(0.0); };
      h += "<div class=\"ci\">" + escape(regions[r]) + " \u00b7 \u0394E " + fmt(s.de[r], 1) + "</div>" +
           svg::swatch_pair(lab_hex(c(t, 0), c(t, 1), c(t, 2)), lab_hex(c(v, 0), c(v, 1), c(v, 2)),
                            regions[r] + " \u0394E " + fmt(s.de[r], 1));
    }
    return h + "</div>";
  };
  out += "<section id=\"swatches\"><h2>Predicted against reference colours</h2><p class=\"sub\">Each pair: the "
         "reference colour (left) and the prediction (right), with their \u0394E. Samples spread from the best to "
         "the worst prediction.</p><div class=\"errors\">";
  const std::size_t shown = std::min<std::size_t>(order.size(), 16);
  for (std::size_t i = 0; i < shown; ++i) {
    const std::size_t at_i = shown == 1 ? 0 : i * (order.size() - 1) / (shown - 1);
    const Sample& s = *order[at_i];
    out += "<div class=\"err\"><div>image #" + std::to_string(s.image) + " \u00b7 mean \u0394E " + fmt(s.mean, 1) +
           "</div>" + swatches_of(s) + "</div>";
  }
  out += "</div></section>\n";
  // Worst errors with their images.
  out += "<section id=\"errors\"><h2>Worst errors</h2><p class=\"sub\">The " +
         std::to_string(std::min<std::size_t>(order.size(), static_cast<std::size_t>(limit))) +
         " samples with the largest mean \u0394E over their regions.</p><div class=\"errors\">";
  std::string missing;
  worst_json = Json::array();
  for (std::size_t i = 0; i < order.size() && i < static_cast<std::size_t>(limit); ++i) {
    const Sample& s = *order[order.size() - 1 - i];
    out += "<div class=\"err\">" + image_tag(images, s.image, missing) + "<div>image #" + std::to_string(s.image) +
           (str(at(*s.rec, "band")).empty() ? "" : " \u00b7 " + escape(str(at(*s.rec, "band")))) +
           "</div><div class=\"p\">mean \u0394E " + fmt(s.mean, 2) + "</div>" + swatches_of(s) + "</div>";
    Json per = Json::object();
    for (std::size_t r = 0; r < regions.size(); ++r) per[regions[r]] = s.de[r];
    worst_json.push_back({{"image", s.image}, {"mean_de", s.mean}, {"de", per}, {"band", str(at(*s.rec, "band"))}});
  }
  out += "</div>";
  if (!missing.empty()) out += "<p class=\"ci\">" + escape(missing) + "</p>";
  return out + "</section>\n";
}

// ---- CSV ---------------------------------------------------------------------------------

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_num(std::optional<double> v) {
  if (!v) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", *v);
  return buf;
}

void csv_rows(std::string& csv, const std::string& head, const std::string& scope, const std::string& band,
              const std::string& group, const Json& metrics) {
  if (!metrics.is_object()) return;
  for (const auto& k : ordered_metrics(metrics)) {
    if (k == "support") continue;
    const auto v = metric(metrics[k]);
    csv += csv_field(head) + "," + scope + "," + csv_field(band) + "," + csv_field(group) + "," + csv_field(k) + "," +
           csv_num(v.value) + "," + csv_num(v.ci ? std::optional<double>(v.ci->first) : std::nullopt) + "," +
           csv_num(v.ci ? std::optional<double>(v.ci->second) : std::nullopt) + "\n";
  }
}

void csv_of(std::string& csv, const Json& ev, const std::string& head) {
  csv_rows(csv, head, "overall", "", "", at(ev, "metrics"));
  for (const char* grp : {"per_class", "per_region"})
    if (at(ev, grp).is_object())
      for (const auto& [g, m] : at(ev, grp).items()) csv_rows(csv, head, grp == std::string("per_class") ? "class" : "region", "", g, m);
  if (at(ev, "by_band").is_object())
    for (const auto& [b, body] : at(ev, "by_band").items()) {
      csv_rows(csv, head, "band", b, "", at(body, "metrics"));
      for (const char* grp : {"per_class", "per_region"})
        if (at(body, grp).is_object())
          for (const auto& [g, m] : at(body, grp).items())
            csv_rows(csv, head, grp == std::string("per_class") ? "band_class" : "band_region", b, g, m);
    }
}

std::string gaps_section(const Json& ev, const std::string& title_prefix) {
  const std::string g = gap_callouts(ev);
  if (g.empty()) return "";
  return "<section id=\"gaps\"><h2>" + escape(title_prefix) +
         "Gap between skin-tone bands</h2>" + g +
         "<p class=\"ci\">Best and worst known band on the headline metrics, with a 95% bootstrap interval of the "
         "gap; every metric per band is in the table further down.</p></section>\n";
}

std::string summary_and_bands(const Json& ev, const std::string& title_prefix) {
  return "<section id=\"metrics\"><h2>" + escape(title_prefix) + "Metrics with 95% confidence intervals</h2>" +
         metrics_table(ev) + "<p class=\"ci\">Intervals: percentile bootstrap over test samples (" +
         escape(json_text(at(at(ev, "bootstrap"), "resamples"))) +
         " resamples). Read an interval as the range the metric would plausibly take on another test set like "
         "this one.</p></section>\n<section id=\"bands\"><h2>" +
         escape(title_prefix) + "Per skin-tone band</h2>" + bands_table(ev) + "</section>\n";
}

}  // namespace

Page render_run(const RunData& run, const ImageSource& images, const RunReportOptions& options) {
  const Evaluation& e = run.evaluation;
  const Json& ev = e.metrics;
  const std::string task = str(at(ev, "task"), run.info.task);
  Page page;
  Json run_json, worst = Json::array();
  std::ostringstream html;
  html << page_head("Kohl report: " + run.info.name);
  html << "<h1>Run report: " << escape(run.info.name) << "</h1><p class=\"sub\">" << escape(task);
  if (!str(at(run.info.config, "label_set")).empty()) html << " \u00b7 label set " << escape(str(at(run.info.config, "label_set")));
  html << " \u00b7 " << escape(str(at(run.info.config, "backbone"))) << " \u00b7 evaluated on " << escape(e.snapshot) << "/"
       << escape(e.split) << " (evaluation #" << e.id << ")</p>\n";
  std::string body;
  std::string csv = "head,scope,band,group,metric,value,ci95_low,ci95_high\n";
  if (task == "attributes") {
    const Json& heads = at(ev, "heads");
    if (!heads.is_object() || heads.empty()) {
      body += "<section><p class=\"notice\">This is an attributes evaluation without heads: nothing to render.</p></section>";
    } else {
      body += "<section><h2>Heads</h2><p>One classification section per label set: ";
      for (const auto& [h, hv] : heads.items()) body += "<a href=\"#head-" + escape(h) + "\">" + escape(h) + "</a> ";
      body += "</p>";
      if (at(ev, "metrics").is_object() && !at(ev, "metrics").empty())
        body += metrics_table(ev) + "<p class=\"ci\">Means over the evaluated heads (no interval: see each head's).</p>";
      body += "</section>\n" + what_was_run(run, run_json) + learning_curves(run);
      for (const auto& [h, hv] : heads.items()) {
        const std::string prefix = h + ": ";
        body += "<div id=\"head-" + escape(h) + "\"></div>";
        if (!hv.is_object() || !hv.contains("metrics")) {
          const std::string why = str(at(at(ev, "unevaluated"), h), "no metrics in its evaluation");
          body += "<section><p class=\"notice\">Head " + escape(h) + ": not rendered (" + escape(why) + ").</p></section>";
          continue;
        }
        const auto classes = classes_of(hv, Json::object());
        body += "<h2>Head " + escape(h) + "</h2>" + cards(hv, "classify") + gaps_section(hv, prefix) +
                summary_and_bands(hv, prefix) +
                classify_sections(hv, classes, prefix);
        Json w;
        body += errors_section(classify_errors(e, classes, h), e.predictions.size(), images, options.worst_errors, w, prefix);
        worst.push_back({{"head", h}, {"errors", w}});
        csv_of(csv, hv, h);
      }
    }
  } else if (task == "classify" || task == "recommend") {
    body += cards(ev, task) + gaps_section(ev, "");
    body += what_was_run(run, run_json) + learning_curves(run) + summary_and_bands(ev, "");
    if (task == "classify") {
      const auto classes = classes_of(ev, run.info.config);
      body += classify_sections(ev, classes, "");
      body += errors_section(classify_errors(e, classes), e.predictions.size(), images, options.worst_errors, worst, "");
    } else {
      body += recommend_sections(run, images, options.worst_errors, worst);
    }
    csv_of(csv, ev, "");
  } else {
    body += what_was_run(run, run_json) + learning_curves(run) +
            "<section><p class=\"notice\">Task '" + escape(task) +
            "': no charts for this task yet; its metrics are listed below as stored.</p>" + metrics_table(ev) +
            "</section>";
    csv_of(csv, ev, "");
  }
  html << body << "<footer>Made by kohl " << core::kKohlVersion << " from " << escape(run.info.name)
       << "'s evaluation #" << e.id << " and its " << e.predictions.size()
       << " stored predictions. Self-contained page: no scripts, no network.</footer></main></body></html>\n";
  page.html = html.str();
  page.csv = csv;
  page.json = {{"kohl_report", 1},
               {"run", run_json},
               {"evaluation",
                {{"id", e.id},
                 {"snapshot", e.snapshot},
                 {"split", e.split},
                 {"evaluator", e.evaluator},
                 {"created", e.created},
                 {"checkpoint_epoch", e.checkpoint_epoch >= 0 ? Json(e.checkpoint_epoch) : Json()},
                 {"predictions", e.predictions.size()}}},
               {"learning_curves", run.curves},
               {"metrics", ev},
               {"worst_errors", worst}};
  return page;
}

}  // namespace kohl::report

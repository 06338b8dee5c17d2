// The comparison of several runs (see report.hpp): same-data check, metrics side by side
// with paired significance tests, learning curves overlaid, band deltas, config diff.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "kohl/core/version.hpp"
#include "kohl/report/html.hpp"
#include "kohl/report/report.hpp"
#include "kohl/report/stats.hpp"
#include "kohl/report/svg.hpp"
#include "page.hpp"

namespace kohl::report {

using namespace detail;
using sdk::Status;

namespace {

std::string task_of(const RunData& r) { return str(at(r.evaluation.metrics, "task"), r.info.task); }

// The evaluation's records by image id; for an attributes head, the head's record.
std::map<std::int64_t, const Json*> records(const RunData& r, const std::string& head) {
  std::map<std::int64_t, const Json*> out;
  for (const auto& [id, rec] : r.evaluation.predictions) {
    const Json& x = head.empty() ? rec : at(at(rec, "heads"), head);
    out[id] = &x;
  }
  return out;
}

// What a sample's truth is, as comparable text ("" when the record has none).
std::string truth_of(const Json& rec) {
  if (at(rec, "truth").is_string()) return str(at(rec, "truth"));
  if (at(rec, "targets").is_array()) return at(rec, "targets").dump();
  return "";
}

void flatten(const Json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object()) {  // an empty object adds nothing: its keys are "(not set)" where another run has them
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out[prefix] = json_text(j);
  }
}

// Everything that defines a run, as key -> text, for the config diff.
std::map<std::string, std::string> settings(const RunData& r) {
  std::map<std::string, std::string> out;
  flatten(r.info.config, "", out);
  out["snapshot (trained on)"] = r.info.snapshot;
  out["evaluation.snapshot"] = r.evaluation.snapshot;
  out["evaluation.split"] = r.evaluation.split;
  out["evaluation.evaluator"] = r.evaluation.evaluator;
  out["evaluation.checkpoint_epoch"] = std::to_string(r.evaluation.checkpoint_epoch);
  const Json& boot = at(r.evaluation.metrics, "bootstrap");
  if (boot.is_object()) flatten(boot, "evaluation.bootstrap", out);
  for (const char* k : {"kohl", "libtorch", "opencv", "machine", "cpus", "threads", "cuda", "host"})
    if (r.info.environment.contains(k)) out[std::string("environment.") + k] = json_text(r.info.environment[k]);
  return out;
}

struct Paired {
  std::string metric;
  PairedBootstrapResult boot;
  std::size_t n = 0;
};

struct PairSet {
  std::vector<std::int64_t> ids;  // shared, same truth
  std::vector<const Json*> a, b;
};

PairSet pair_up(const RunData& ref, const RunData& other, const std::string& head, const std::string& band = "") {
  PairSet p;
  const auto ra = records(ref, head), rb = records(other, head);
  std::map<std::int64_t, std::string> bands;
  if (!band.empty())
    for (const auto& [id, rec] : ref.evaluation.predictions) {
      const std::string b = str(at(rec, "band"));
      bands[id] = b.empty() ? "unknown" : b;
    }
  for (const auto& [id, rec] : ra) {
    auto it = rb.find(id);
    if (it == rb.end()) continue;
    if (!band.empty() && bands[id] != band) continue;
    if (truth_of(*rec) != truth_of(*it->second) || truth_of(*rec).empty()) continue;
    p.ids.push_back(id);
    p.a.push_back(rec);
    p.b.push_back(it->second);
  }
  return p;
}

// Paired bootstrap of the task's per-sample metrics, and McNemar for classification.
std::vector<Paired> paired_tests(const PairSet& p, const std::string& task, const std::vector<std::string>& class_list,
                                 std::size_t regions, const CompareOptions& o, std::optional<McNemarResult>& mc) {
  std::vector<Paired> out;
  const std::size_t n = p.ids.size();
  if (n == 0) return out;
  if (task == "recommend") {
    std::vector<std::vector<double>> da, db;
    for (std::size_t i = 0; i < n; ++i) {
      da.push_back(record_de(*p.a[i], regions));
      db.push_back(record_de(*p.b[i], regions));
      if (da.back().empty() || db.back().empty()) return out;
    }
    auto add = [&](const std::string& name, const std::function<double(const std::vector<std::vector<double>>&,
                                                                      const std::vector<std::uint32_t>&)>& f) {
      out.push_back({name, paired_bootstrap(n, [&](const std::vector<std::uint32_t>& idx) {
                       return std::make_pair(f(da, idx), f(db, idx));
                     }, o.resamples, o.seed), n});
    };
    add("mean_de", [](const auto& d, const auto& idx) { return mean_of(d, idx); });
    add("share_under_2_3", [](const auto& d, const auto& idx) { return share_under(d, 2.3, idx); });
    add("share_under_5", [](const auto& d, const auto& idx) { return share_under(d, 5.0, idx); });
    return out;
  }
  std::map<std::string, int> index;
  for (std::size_t i = 0; i < class_list.size(); ++i) index[class_list[i]] = static_cast<int>(i);
  auto idx_of = [&](const std::string& name) {
    auto it = index.find(name);
    if (it != index.end()) return it->second;
    const int k = static_cast<int>(index.size());
    index[name] = k;
    return k;
  };
  std::vector<int> truth, pa, pb;
  std::vector<bool> ca, cb;
  for (std::size_t i = 0; i < n; ++i) {
    if (!at(*p.a[i], "predicted").is_string() || !at(*p.b[i], "predicted").is_string()) return out;
    truth.push_back(idx_of(str(at(*p.a[i], "truth"))));
    pa.push_back(idx_of(str(at(*p.a[i], "predicted"))));
    pb.push_back(idx_of(str(at(*p.b[i], "predicted"))));
    ca.push_back(truth.back() == pa.back());
    cb.push_back(truth.back() == pb.back());
  }
  const int k = static_cast<int>(index.size());
  mc = mcnemar(ca, cb, o.mcnemar_exact_below);
  out.push_back({"accuracy", paired_bootstrap(n, [&](const std::vector<std::uint32_t>& idx) {
                   return std::make_pair(accuracy_of(truth, pa, idx), accuracy_of(truth, pb, idx));
                 }, o.resamples, o.seed), n});
  out.push_back({"balanced_accuracy", paired_bootstrap(n, [&](const std::vector<std::uint32_t>& idx) {
                   return std::make_pair(balanced_accuracy_of(truth, pa, k, idx), balanced_accuracy_of(truth, pb, k, idx));
                 }, o.resamples, o.seed), n});
  out.push_back({"f1_macro", paired_bootstrap(n, [&](const std::vector<std::uint32_t>& idx) {
                   return std::make_pair(f1_macro_of(truth, pa, k, idx), f1_macro_of(truth, pb, k, idx));
                 }, o.resamples, o.seed), n});
  return out;
}

Json ci_json(const std::optional<std::pair<double, double>>& ci) {
  return ci ? Json::array({ci->first, ci->second}) : Json();
}

int digits_for(const std::string& key) { return key == "mean_de" || key == "median_de" ? 2 : 3; }

// One metrics block (all runs side by side) for a task's evaluation JSON, or a head's.
std::string metrics_block(const std::vector<RunData>& runs, const std::vector<const Json*>& evs, const std::string& task,
                          const std::string& head, const CompareOptions& o, Json& metrics_json, Json& mcnemar_json,
                          Json& bands_json) {
  std::vector<std::string> classes;
  const Json& cl = at(*evs[0], "classes").is_array() ? at(*evs[0], "classes")
                   : at(*evs[0], "regions").is_array() ? at(*evs[0], "regions")
                                                         : at(runs[0].info.config, "classes");
  if (cl.is_array())
    for (const auto& c : cl) classes.push_back(json_text(c));
  // Paired tests of every run against the first.
  std::vector<std::map<std::string, Paired>> tests(runs.size());
  std::vector<std::optional<McNemarResult>> mcs(runs.size());
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const PairSet p = pair_up(runs[0], runs[i], head);
    for (auto& t : paired_tests(p, task, classes, classes.size(), o, mcs[i])) tests[i][t.metric] = t;
  }
  // Rows: the union of the runs' metrics, in the usual order.
  Json all = Json::object();
  for (const auto* ev : evs)
    if (at(*ev, "metrics").is_object())
      for (const auto& [k, v] : at(*ev, "metrics").items()) all[k] = v;
  std::ostringstream h;
  h << "<table><tr><th>metric</th>";
  for (std::size_t i = 0; i < runs.size(); ++i)
    h << "<th class=\"n\">" << escape(runs[i].info.name) << (i == 0 ? " <span class=\"ci\">(reference)</span>" : "")
      << "</th>" << (i > 0 ? "<th class=\"n\">\u0394 vs " + escape(runs[0].info.name) + " [95% CI], p</th>" : "");
  h << "</tr>";
  for (const auto& k : ordered_metrics(all)) {
    const bool lower = lower_is_better(k);
    const int d = digits_for(k);
    std::vector<MetricValue> vals;
    for (const auto* ev : evs) vals.push_back(metric(at(at(*ev, "metrics"), k)));
    std::optional<double> best;
    for (const auto& v : vals)
      if (v.value && (!best || (lower ? *v.value < *best : *v.value > *best))) best = v.value;
    Json row = {{"head", head}, {"metric", k}, {"lower_is_better", lower}, {"values", Json::array()},
                {"best", Json::array()}, {"deltas", Json::array()}};
    h << "<tr><td>" << escape(metric_label(k)) << (lower ? " <span class=\"ci\">(lower is better)</span>" : "") << "</td>";
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto& v = vals[i];
      const bool is_best = v.value && best && std::abs(*v.value - *best) < 1e-12 && runs.size() > 1;
      if (is_best) row["best"].push_back(runs[i].info.name);
      row["values"].push_back({{"run", runs[i].info.name}, {"value", v.value ? Json(*v.value) : Json()},
                               {"ci95", ci_json(v.ci)}});
      h << "<td class=\"n\">" << (is_best ? "<span class=\"best\">\u2605 " : "") << fmt(v.value, d)
        << (is_best ? "</span>" : "")
        << (v.ci ? " <span class=\"ci\">[" + fmt(v.ci->first, d) + ", " + fmt(v.ci->second, d) + "]</span>" : "")
        << "</td>";
      if (i == 0) continue;
      std::optional<double> delta;
      if (v.value && vals[0].value) delta = *v.value - *vals[0].value;
      Json dj = {{"run", runs[i].info.name}, {"delta", delta ? Json(*delta) : Json()}};
      std::string cell = delta ? std::string("<span class=\"") + ((*delta > 0) != lower && std::abs(*delta) > 1e-12 ? "better" : std::abs(*delta) > 1e-12 ? "worse" : "") +
                                     "\">" + fmt_signed(delta, d) + "</span>"
                               : std::string("\u2013");
      auto t = tests[i].find(k);
      if (t != tests[i].end()) {
        const auto& b = t->second.boot;
        const bool sig = b.ci95 && (b.ci95->first > 0 || b.ci95->second < 0);
        dj["test"] = "paired bootstrap";
        dj["paired_delta"] = b.delta;
        dj["ci95"] = ci_json(b.ci95);
        dj["p"] = b.p;
        dj["significant"] = sig;
        dj["n_paired"] = t->second.n;
        dj["resamples"] = b.resamples;
        dj["seed"] = b.seed;
        cell += " <span class=\"ci\">" + (b.ci95 ? "[" + fmt_signed(b.ci95->first, d) + ", " + fmt_signed(b.ci95->second, d) + "]" : "") +
                ", p " + fmt_p(b.p) + "</span> <span class=\"sig " + (sig ? "yes\">significant" : "no\">not significant") +
                "</span>";
      }
      row["deltas"].push_back(dj);
      h << "<td class=\"n\">" << cell << "</td>";
    }
    h << "</tr>";
    metrics_json.push_back(row);
  }
  h << "</table><p class=\"ci\">\u2605 best value of the row. \u0394: the run's value minus " << escape(runs[0].info.name)
    << "'s (green: better, red: worse). Where a 95% interval and p are given, they come from a paired bootstrap over "
       "the test samples both runs predicted (same image ids, "
    << o.resamples << " resamples, seed " << o.seed
    << "); \"significant\" means the interval of the difference excludes 0 (p &lt; 0.05). Metrics without them are "
       "compared by value only.</p>";
  // McNemar.
  bool any_mc = false;
  for (const auto& m : mcs) any_mc = any_mc || m.has_value();
  if (any_mc) {
    h << "<h3>McNemar's test for accuracy</h3><table><tr><th>run vs " << escape(runs[0].info.name)
      << "</th><th class=\"n\">paired samples</th><th class=\"n\">only reference right (b)</th><th class=\"n\">only this "
         "run right (c)</th><th>test</th><th class=\"n\">statistic</th><th class=\"n\">p</th><th></th></tr>";
    for (std::size_t i = 1; i < runs.size(); ++i) {
      if (!mcs[i]) continue;
      const auto& m = *mcs[i];
      const bool sig = m.p < 0.05;
      h << "<tr><td>" << escape(runs[i].info.name) << "</td><td class=\"n\">" << m.n << "</td><td class=\"n\">"
        << m.only_a << "</td><td class=\"n\">" << m.only_b << "</td><td>" << escape(m.method) << "</td><td class=\"n\">"
        << (m.statistic ? fmt(*m.statistic) : "\u2013") << "</td><td class=\"n\">" << fmt_p(m.p)
        << "</td><td><span class=\"sig " << (sig ? "yes\">significant" : "no\">not significant") << "</span></td></tr>";
      mcnemar_json.push_back({{"head", head}, {"run", runs[i].info.name}, {"reference", runs[0].info.name},
                              {"n", m.n}, {"both_right", m.both_right}, {"only_reference_right", m.only_a},
                              {"only_run_right", m.only_b}, {"both_wrong", m.both_wrong}, {"method", m.method},
                              {"statistic", m.statistic ? Json(*m.statistic) : Json()}, {"p", m.p},
                              {"significant", sig}});
    }
    h << "</table><p class=\"ci\">Only the discordant samples (one run right, the other wrong) count. With fewer than "
      << o.mcnemar_exact_below << " of them the exact two-sided binomial test is used, otherwise the chi-square test "
         "with continuity correction, (|b \u2212 c| \u2212 1)\u00b2 / (b + c), one degree of freedom.</p>";
  }
  // Per-band deltas on the headline metrics.
  std::set<std::string> band_names;
  for (const auto* ev : evs)
    if (at(*ev, "by_band").is_object())
      for (const auto& [b, body] : at(*ev, "by_band").items()) band_names.insert(b);
  if (!band_names.empty()) {
    std::vector<std::string> keys;
    for (const auto& k : headline_metrics(task == "attributes" ? "classify" : task))
      if (all.contains(k) && keys.size() < 3) keys.push_back(k);
    h << "<h3>Per skin-tone band</h3><table><tr><th>band</th><th>metric</th>";
    for (std::size_t i = 0; i < runs.size(); ++i)
      h << "<th class=\"n\">" << escape(runs[i].info.name) << "</th>" << (i > 0 ? "<th class=\"n\">\u0394</th>" : "");
    h << "</tr>";
    // Paired bootstrap per band (each band's shared samples resampled on their own).
    std::map<std::string, std::vector<std::map<std::string, Paired>>> band_tests;
    for (const auto& b : band_names) {
      band_tests[b].resize(runs.size());
      for (std::size_t i = 1; i < runs.size(); ++i) {
        std::optional<McNemarResult> unused;
        for (auto& t : paired_tests(pair_up(runs[0], runs[i], head, b), task == "attributes" ? "classify" : task,
                                    classes, classes.size(), o, unused))
          band_tests[b][i][t.metric] = t;
      }
    }
    for (const auto& b : band_names)
      for (const auto& k : keys) {
        const int d = digits_for(k);
        h << "<tr><td>" << escape(b) << "</td><td>" << escape(metric_label(k)) << "</td>";
        std::optional<double> ref;
        Json bj = Json::array();
        for (std::size_t i = 0; i < runs.size(); ++i) {
          const Json& body = at(at(*evs[i], "by_band"), b);
          const auto v = metric(at(at(body, "metrics"), k));
          if (i == 0) ref = v.value;
          h << "<td class=\"n\">" << fmt(v.value, d) << " <span class=\"ci\">n " << escape(json_text(at(body, "n")))
            << "</span></td>";
          std::optional<double> delta;
          if (i > 0 && v.value && ref) delta = *v.value - *ref;
          Json entry = {{"run", runs[i].info.name}, {"value", v.value ? Json(*v.value) : Json()},
                        {"ci95", ci_json(v.ci)}, {"n", at(body, "n")}, {"delta", delta ? Json(*delta) : Json()}};
          if (i > 0) {
            h << "<td class=\"n\"><span class=\""
              << (delta && std::abs(*delta) > 1e-12 ? ((*delta > 0) != lower_is_better(k) ? "better" : "worse") : "")
              << "\">" << fmt_signed(delta, d) << "</span>";
            auto t = band_tests[b][i].find(k);
            if (t != band_tests[b][i].end() && t->second.boot.ci95) {
              const auto& bt = t->second.boot;
              const bool sig = bt.ci95->first > 0 || bt.ci95->second < 0;
              h << " <span class=\"ci\">[" << fmt_signed(bt.ci95->first, d) << ", " << fmt_signed(bt.ci95->second, d)
                << "], p " << fmt_p(bt.p) << "</span> <span class=\"sig " << (sig ? "yes\">significant" : "no\">not significant")
                << "</span>";
              entry["delta_ci95"] = ci_json(bt.ci95);
              entry["p"] = bt.p;
              entry["significant"] = sig;
              entry["n_paired"] = t->second.n;
            }
            h << "</td>";
          }
          bj.push_back(entry);
        }
        h << "</tr>";
        bands_json[head.empty() ? b : head + "/" + b][k] = bj;
      }
    h << "</table><p class=\"ci\">Per band, values as each run's evaluator computed them (their own intervals are in "
         "compare.json); \u0394 vs " << escape(runs[0].info.name) << ", with a paired bootstrap over the band's shared "
         "samples where the metric is computed per sample. Bands are small: read deltas together with n.</p>";
  }
  return h.str();
}

}  // namespace

sdk::Result<Page> render_compare(const std::vector<RunData>& runs, const CompareOptions& o) {
  if (runs.size() < 2) return Status::invalid("compare needs at least two runs");
  std::set<std::string> names;
  for (const auto& r : runs)
    if (!names.insert(r.info.name).second) return Status::invalid(r.info.name + " is given twice");
  const std::string task = task_of(runs[0]);
  for (const auto& r : runs)
    if (task_of(r) != task)
      return Status::invalid("cannot compare runs of different tasks: " + runs[0].info.name + " is " + task + ", " +
                             r.info.name + " is " + task_of(r));
  // Same data? Snapshot, split, and the test samples (ids and truth).
  std::vector<std::string> differences;
  const auto& e0 = runs[0].evaluation;
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const auto& e = runs[i].evaluation;
    const std::string who = runs[i].info.name + " (evaluation #" + std::to_string(e.id) + ")";
    const std::string ref = runs[0].info.name + " (evaluation #" + std::to_string(e0.id) + ")";
    if (e.snapshot != e0.snapshot)
      differences.push_back(who + " was evaluated on snapshot '" + e.snapshot + "', " + ref + " on '" + e0.snapshot + "'");
    if (e.split != e0.split)
      differences.push_back(who + " was evaluated on split '" + e.split + "', " + ref + " on '" + e0.split + "'");
    const auto ra = records(runs[0], ""), rb = records(runs[i], "");
    std::size_t only_a = 0, only_b = 0, truth = 0;
    for (const auto& [id, rec] : ra) {
      auto it = rb.find(id);
      if (it == rb.end()) ++only_a;
      else if (truth_of(*rec) != truth_of(*it->second)) ++truth;
    }
    for (const auto& [id, rec] : rb) only_b += ra.count(id) == 0;
    if (only_a || only_b)
      differences.push_back(who + " and " + ref + " predicted different test samples: " + std::to_string(only_a) +
                            " only in " + runs[0].info.name + ", " + std::to_string(only_b) + " only in " +
                            runs[i].info.name);
    if (truth) differences.push_back(who + " and " + ref + " disagree on the true label of " + std::to_string(truth) + " shared samples");
  }
  if (!differences.empty() && !o.allow_different_data) {
    std::string msg = "the runs were not evaluated on the same data, so their metrics are not comparable: ";
    for (std::size_t i = 0; i < differences.size(); ++i) msg += (i ? "; " : "") + differences[i];
    return Status::invalid(msg + ". Evaluate them on the same snapshot and split (kohl eval PROJECT RUN --snapshot S "
                                 "--split test), or pass --allow-different-data to compare anyway (the page then "
                                 "says so at the top)");
  }

  Page page;
  Json metrics_json = Json::array(), mcnemar_json = Json::array(), bands_json = Json::object();
  std::ostringstream h;
  std::string title;
  for (const auto& r : runs) title += (title.empty() ? "" : " vs ") + r.info.name;
  h << page_head("Kohl compare: " + title);
  if (!differences.empty()) {
    h << "<div class=\"banner\">Different data: these runs were NOT evaluated on the same test samples "
         "(--allow-different-data). Differences between them mix the models with the data. Paired tests use only "
         "the samples they share.<ul>";
    for (const auto& d : differences) h << "<li>" << escape(d) << "</li>";
    h << "</ul></div>";
  }
  h << "<h1>Compare: " << escape(title) << "</h1><p class=\"sub\">" << escape(task) << " \u00b7 evaluated on "
    << escape(e0.snapshot) << "/" << escape(e0.split) << " \u00b7 reference: " << escape(runs[0].info.name)
    << " (deltas are against it)</p>\n";

  // Runs.
  h << "<section><h2>Runs</h2><table><tr><th>run</th><th>backbone</th><th>label set / regions</th><th>trained on</th>"
       "<th>evaluation</th><th class=\"n\">test samples</th><th class=\"n\">epochs</th><th>status</th></tr>";
  Json runs_json = Json::array();
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& r = runs[i];
    const auto& c = r.info.config;
    std::string ls = str(at(c, "label_set"));
    if (ls.empty() && at(c, "classes").is_array())
      for (const auto& x : at(c, "classes")) ls += (ls.empty() ? "" : ", ") + json_text(x);
    h << "<tr><td><span style=\"color:" << svg::color(i) << "\">\u25a0</span> " << escape(r.info.name) << "</td><td>"
      << escape(str(at(c, "backbone"))) << " " << escape(str(at(c, "backbone_version"))) << "</td><td>" << escape(ls)
      << "</td><td>" << escape(r.info.snapshot) << "</td><td>#" << r.evaluation.id << " on "
      << escape(r.evaluation.snapshot) << "/" << escape(r.evaluation.split)
      << (r.evaluation.checkpoint_epoch >= 0 ? ", epoch " + std::to_string(r.evaluation.checkpoint_epoch) : "")
      << "</td><td class=\"n\">" << r.evaluation.predictions.size() << "</td><td class=\"n\">" << r.checkpoints
      << "</td><td>" << escape(r.info.status) << "</td></tr>";
    runs_json.push_back({{"name", r.info.name}, {"task", task_of(r)}, {"status", r.info.status},
                         {"snapshot", r.info.snapshot},
                         {"evaluation", {{"id", r.evaluation.id}, {"snapshot", r.evaluation.snapshot},
                                         {"split", r.evaluation.split}, {"evaluator", r.evaluation.evaluator},
                                         {"checkpoint_epoch", r.evaluation.checkpoint_epoch},
                                         {"predictions", r.evaluation.predictions.size()}}},
                         {"config", c}, {"environment", r.info.environment}});
  }
  h << "</table></section>\n";

  // Config diff.
  std::vector<std::map<std::string, std::string>> sets;
  std::set<std::string> keys;
  for (const auto& r : runs) {
    sets.push_back(settings(r));
    for (const auto& [k, v] : sets.back()) keys.insert(k);
  }
  Json diff_json = Json::array();
  std::string changed, same;
  std::size_t n_same = 0;
  for (const auto& k : keys) {
    bool differs = false;
    std::string row = "<td><code>" + escape(k) + "</code></td>";
    Json vals = Json::array();
    for (std::size_t i = 0; i < sets.size(); ++i) {
      auto it = sets[i].find(k);
      const std::string v = it == sets[i].end() ? "(not set)" : it->second;
      auto it0 = sets[0].find(k);
      const std::string v0 = it0 == sets[0].end() ? "(not set)" : it0->second;
      differs = differs || v != v0;
      row += "<td>" + escape(v) + "</td>";
      vals.push_back(v);
    }
    if (differs) {
      changed += "<tr class=\"changed\">" + row + "</tr>";
      diff_json.push_back({{"key", k}, {"values", vals}});
    } else {
      same += "<tr>" + row + "</tr>";
      ++n_same;
    }
  }
  std::string head_row = "<tr><th>setting</th>";
  for (const auto& r : runs) head_row += "<th>" + escape(r.info.name) + "</th>";
  head_row += "</tr>";
  h << "<section id=\"config\"><h2>What changed between the runs</h2>";
  if (changed.empty()) h << "<p>Nothing: every recorded setting is the same (" << n_same << " settings).</p>";
  else h << "<table>" << head_row << changed << "</table>";
  h << "<details><summary>" << n_same << " settings that are the same in every run</summary><table>" << head_row << same
    << "</table></details></section>\n";

  // Metrics.
  std::vector<const Json*> evs;
  for (const auto& r : runs) evs.push_back(&r.evaluation.metrics);
  h << "<section id=\"metrics\"><h2>Metrics side by side</h2>";
  if (task == "attributes") {
    std::set<std::string> heads;
    for (const auto* ev : evs)
      if (at(*ev, "heads").is_object())
        for (const auto& [hn, hv] : at(*ev, "heads").items()) heads.insert(hn);
    if (heads.empty()) h << "<p class=\"notice\">Attributes evaluations without heads: nothing to compare.</p>";
    else h << "<h3>Means over the heads</h3>"
           << metrics_block(runs, evs, "attributes", "", o, metrics_json, mcnemar_json, bands_json);
    for (const auto& hn : heads) {
      std::vector<const Json*> hevs;
      for (const auto* ev : evs) hevs.push_back(&at(at(*ev, "heads"), hn));
      h << "<h3>Head " << escape(hn) << "</h3>"
        << metrics_block(runs, hevs, "classify", hn, o, metrics_json, mcnemar_json, bands_json);
    }
  } else if (task == "classify" || task == "recommend") {
    h << metrics_block(runs, evs, task, "", o, metrics_json, mcnemar_json, bands_json);
  } else {
    h << "<p class=\"notice\">Task '" << escape(task) << "': not rendered (Kohl's compare page knows classify, "
      << "recommend and attributes).</p>";
  }
  h << "</section>\n";

  // Learning curves overlaid.
  h << "<section id=\"curves\"><h2>Learning curves</h2><div class=\"charts\">";
  std::vector<svg::Series> val_loss, second;
  const std::string m2 = task == "recommend" ? "mean_de" : "accuracy";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& cv = runs[i].curves;
    if (auto t = series_of(cv, "train", "loss"); !t.empty()) val_loss.push_back({runs[i].info.name + " train", svg::color(i), t, true, false});
    if (auto v = series_of(cv, "val", "loss"); !v.empty()) val_loss.push_back({runs[i].info.name + " val", svg::color(i), v});
    if (auto v = series_of(cv, "val", m2); !v.empty()) second.push_back({runs[i].info.name + " val", svg::color(i), v});
  }
  if (!val_loss.empty())
    h << svg::line_chart("Loss per epoch (solid: validation, dashed: train)", val_loss,
                         {"epoch", std::nullopt, std::nullopt, true}, {"loss"});
  if (!second.empty()) {
    svg::Axis y{metric_label(m2)};
    if (m2 == "accuracy") y.min = 0.0, y.max = 1.0;
    std::string label = metric_label(m2);
    label[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(label[0])));
    h << svg::line_chart("Validation " + label + " per epoch", second,
                         {"epoch", std::nullopt, std::nullopt, true}, y);
  }
  if (val_loss.empty() && second.empty()) h << "<p class=\"notice\">No metrics were logged for these runs.</p>";
  h << "</div></section>\n";
  h << "<footer>Made by kohl " << core::kKohlVersion << " from the runs' stored evaluations and per-sample "
       "predictions. Self-contained page: no scripts, no network.</footer></main></body></html>\n";

  Json curves = Json::object();
  for (const auto& r : runs) curves[r.info.name] = r.curves;
  page.html = h.str();
  page.json = {{"kohl_compare", 1},
               {"task", task},
               {"reference", runs[0].info.name},
               {"different_data", !differences.empty()},
               {"data_differences", differences},
               {"runs", runs_json},
               {"config_diff", diff_json},
               {"metrics", metrics_json},
               {"mcnemar", mcnemar_json},
               {"bands", bands_json},
               {"learning_curves", curves},
               {"paired_bootstrap", {{"resamples", o.resamples}, {"seed", o.seed}, {"interval", "percentile"},
                                     {"level", 0.95}, {"p", "two-sided: min(1, 2 min(share of deltas <= 0, share >= 0))"}}},
               {"mcnemar_exact_below", o.mcnemar_exact_below}};
  return page;
}

}  // namespace kohl::report

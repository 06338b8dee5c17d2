// Helpers shared by the report pages (see page.hpp).
#include "page.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include "kohl/report/html.hpp"
#include "kohl/sdk/color.hpp"

namespace kohl::report::detail {

const char* stylesheet() {
  return R"css(
:root{--ink:#1d2430;--mute:#5b6573;--line:#dde2ea;--bg:#f6f8fb;--card:#fff;--accent:#1f4e79;--good:#2e7d32;--bad:#b3261e;--warn:#8a5a00}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 10px;color:var(--accent)}
h3{font-size:15px;margin:14px 0 6px}
p{margin:4px 0 8px}
.sub{color:var(--mute);margin:0 0 14px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin:14px 0}
.cards{display:flex;flex-wrap:wrap;gap:10px;background:none;border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:150px;flex:1}
.card .k{color:var(--mute);font-size:12px}
.card .v{font-size:24px;font-weight:600}
.card .ci{color:var(--mute);font-size:12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
table.narrow{width:auto;min-width:480px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef2f7;font-weight:600;font-size:13px}
td.n,th.n{text-align:right;white-space:nowrap}
tr:nth-child(even) td{background:#fafbfd}
.ci{color:var(--mute);font-size:12px}
.kv td:first-child{color:var(--mute);width:210px;white-space:nowrap}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:14px;align-items:start}
.charts{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
svg.chart{max-width:100%;height:auto;background:#fff}
svg .ct{font-weight:600;font-size:13px;fill:#1d2430}
svg .tk{font-size:11px;fill:#5b6573}
svg .al{font-size:12px;fill:#1d2430}
svg .lg{font-size:11px;fill:#1d2430}
svg .cv{font-size:11px}
svg .na{font-size:9px;fill:#999}
svg .grid{stroke:#eceff4}
svg .axis,svg .tick{stroke:#8a94a3}
.callout{border-left:4px solid var(--warn);background:#fff8e6;padding:8px 12px;margin:8px 0;border-radius:4px}
.callout.ok{border-left-color:var(--good);background:#eef7ee}
.banner{background:var(--bad);color:#fff;padding:12px 16px;border-radius:8px;margin:0 0 14px;font-weight:600}
.notice{border:1px dashed var(--warn);background:#fffaf0;padding:10px 12px;border-radius:6px;color:var(--warn)}
.best{font-weight:700;color:var(--good)}
.star{color:var(--good)}
.sig{display:inline-block;padding:0 6px;border-radius:8px;font-size:11px;font-weight:600}
.sig.yes{background:#e3f1e4;color:var(--good)}
.sig.no{background:#eef0f3;color:var(--mute)}
.worse{color:var(--bad)}
.better{color:var(--good)}
.changed td{background:#fff6dd!important}
.errors{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.err{border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff;font-size:12px}
.err img,.err .noimg{width:100%;aspect-ratio:1/1;object-fit:cover;border-radius:4px;background:#e9edf2;display:block}
.err .noimg{display:flex;align-items:center;justify-content:center;color:var(--mute);font-size:11px;text-align:center}
.err .t{color:var(--good)}
.err .p{color:var(--bad);font-weight:600}
.sws{display:flex;flex-wrap:wrap;gap:6px}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;background:#eef2f7;padding:0 3px;border-radius:3px}
footer{color:var(--mute);font-size:12px;margin-top:18px}
details summary{cursor:pointer;color:var(--accent)}
@media print{body{background:#fff}section{break-inside:avoid}}
)css";
}

const Json& at(const Json& j, const std::string& key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::optional<double> num(const Json& j) {
  if (j.is_number()) {
    const double v = j.get<double>();
    if (std::isfinite(v)) return v;
  }
  return std::nullopt;
}

std::string str(const Json& j, const std::string& fallback) { return j.is_string() ? j.get<std::string>() : fallback; }

std::vector<std::pair<double, double>> series_of(const Json& curves, const std::string& split, const std::string& name) {
  std::vector<std::pair<double, double>> pts;
  const Json& s = at(at(curves, split), name);
  if (s.is_array())
    for (const auto& p : s)
      if (p.is_array() && p.size() == 2 && num(p[0]) && num(p[1])) pts.push_back({*num(p[0]), *num(p[1])});
  return pts;
}

MetricValue metric(const Json& m) {
  MetricValue r;
  if (m.is_number()) {
    r.value = num(m);
    return r;
  }
  r.value = num(at(m, "value"));
  const Json& ci = at(m, "ci95");
  if (ci.is_array() && ci.size() == 2 && num(ci[0]) && num(ci[1])) r.ci = std::make_pair(*num(ci[0]), *num(ci[1]));
  return r;
}

std::string metric_label(const std::string& key) {
  static const std::map<std::string, std::string> kNames = {
      {"accuracy", "Accuracy"},
      {"balanced_accuracy", "Balanced accuracy"},
      {"precision_macro", "Precision (macro)"},
      {"precision_micro", "Precision (micro)"},
      {"precision_weighted", "Precision (weighted)"},
      {"recall_macro", "Recall (macro)"},
      {"recall_micro", "Recall (micro)"},
      {"recall_weighted", "Recall (weighted)"},
      {"f1_macro", "F1 (macro)"},
      {"f1_micro", "F1 (micro)"},
      {"f1_weighted", "F1 (weighted)"},
      {"roc_auc_macro", "ROC-AUC (macro, one-vs-rest)"},
      {"ece", "Expected calibration error"},
      {"log_loss", "Log loss"},
      {"mean_de", "Mean CIEDE2000 \u0394E"},
      {"median_de", "Median CIEDE2000 \u0394E"},
      {"share_under_2_3", "Share \u0394E < 2.3"},
      {"share_under_5", "Share \u0394E < 5"},
      {"accuracy_mean", "Accuracy (mean over heads)"},
      {"f1_macro_mean", "F1 macro (mean over heads)"},
      {"loss", "Loss"},
      {"lr", "Learning rate"},
      {"images_per_s", "Images/s"},
      {"precision", "Precision"},
      {"recall", "Recall"},
      {"f1", "F1"},
      {"auc", "ROC-AUC"},
  };
  auto it = kNames.find(key);
  return it == kNames.end() ? key : it->second;
}

bool lower_is_better(const std::string& key) {
  return key == "ece" || key == "log_loss" || key == "mean_de" || key == "median_de" || key == "loss";
}

std::vector<std::string> headline_metrics(const std::string& task) {
  if (task == "recommend") return {"mean_de", "median_de", "share_under_2_3", "share_under_5"};
  return {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc_macro", "ece"};
}

std::vector<std::string> ordered_metrics(const Json& metrics) {
  static const std::vector<std::string> kOrder = {
      "accuracy",       "balanced_accuracy", "f1_macro",          "f1_weighted",      "f1_micro",
      "precision_macro", "precision_weighted", "precision_micro", "recall_macro",     "recall_weighted",
      "recall_micro",   "roc_auc_macro",     "ece",               "log_loss",         "mean_de",
      "median_de",      "share_under_2_3",   "share_under_5"};
  std::vector<std::string> out;
  if (!metrics.is_object()) return out;
  for (const auto& k : kOrder)
    if (metrics.contains(k)) out.push_back(k);
  for (const auto& [k, v] : metrics.items())
    if (std::find(kOrder.begin(), kOrder.end(), k) == kOrder.end()) out.push_back(k);
  return out;
}

std::optional<double> parse_time(const std::string& iso) {
  std::tm tm{};
  int y, mo, d, h, mi, s;
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<double>(timegm(&tm));
}

std::string duration_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(seconds));
  char buf[64];
  if (s < 60) std::snprintf(buf, sizeof buf, "%lld s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lld min %lld s", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lld h %lld min", s / 3600, (s % 3600) / 60);
  return buf;
}

std::string kv_table(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "<table class=\"kv\">";
  for (const auto& [k, v] : rows) out += "<tr><td>" + escape(k) + "</td><td>" + v + "</td></tr>";
  return out + "</table>";
}

std::string json_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "null";
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::vector<double> record_de(const Json& record, std::size_t regions) {
  const Json& v = at(record, "values");
  const Json& t = at(record, "targets");
  if (!v.is_array() || !t.is_array() || v.size() != 3 * regions || t.size() != 3 * regions) return {};
  std::vector<double> out;
  for (std::size_t r = 0; r < regions; ++r) {
    const auto a = [&](const Json& x, std::size_t i) { return num(x[3 * r + i]).value_or(0.0); };
    out.push_back(sdk::color::ciede2000({a(t, 0), a(t, 1), a(t, 2)}, {a(v, 0), a(v, 1), a(v, 2)}));
  }
  return out;
}

std::string lab_hex(double L, double a, double b) {
  const auto rgb = sdk::color::lab_to_srgb({L, a, b});
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", static_cast<int>(std::lround(rgb[0] * 255)),
                static_cast<int>(std::lround(rgb[1] * 255)), static_cast<int>(std::lround(rgb[2] * 255)));
  return buf;
}

std::string page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
         "style-src 'unsafe-inline'\">"
         "<title>" +
         escape(title) + "</title><style>" + stylesheet() + "</style></head><body><main>\n";
}

}  // namespace kohl::report::detail

// Shared by the run report and the compare page (internal): the stylesheet, JSON access
// that never throws on a missing or odd field, metric names and directions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kohl/report/report.hpp"

namespace kohl::report::detail {

// The page's CSS (inline in <style>): system fonts only, prints on A4.
const char* stylesheet();

// j[key] when j is an object holding it, else a null JSON (never throws).
const Json& at(const Json& j, const std::string& key);
std::optional<double> num(const Json& j);
std::string str(const Json& j, const std::string& fallback = "");
// A learning curve from RunStore::metrics JSON: curves[split][name] as (epoch, value) pairs;
// malformed points are skipped.
std::vector<std::pair<double, double>> series_of(const Json& curves, const std::string& split, const std::string& name);

struct MetricValue {
  std::optional<double> value;
  std::optional<std::pair<double, double>> ci;
};
// {"value", "ci95"} as the evaluators write it; a bare number is accepted too.
MetricValue metric(const Json& m);

// Readable names: "f1_macro" -> "F1 (macro)".
std::string metric_label(const std::string& key);
// Lower is better (errors, losses, distances).
bool lower_is_better(const std::string& key);
// The metric keys of an evaluator's "metrics" object, headline metrics first.
std::vector<std::string> ordered_metrics(const Json& metrics);
// Headline metrics of a task (the cards at the top; band gaps use the first ones).
std::vector<std::string> headline_metrics(const std::string& task);

// "2026-12-04T19:54:08Z" -> seconds since the epoch (nullopt when it does not parse).
std::optional<double> parse_time(const std::string& iso);
std::string duration_text(double seconds);

// <table> of (key, value) rows; values are HTML already.
std::string kv_table(const std::vector<std::pair<std::string, std::string>>& rows);
// A JSON value as short text (strings without quotes).
std::string json_text(const Json& v);

// CIEDE2000 per region of one recommend prediction record ({"values", "targets"}, 3 per
// region); empty when the record does not hold them.
std::vector<double> record_de(const Json& record, std::size_t regions);
// "#rrggbb" of a CIELAB triple.
std::string lab_hex(double L, double a, double b);

// Opening of a page: doctype, head with title and CSS.
std::string page_head(const std::string& title);

}  // namespace kohl::report::detail

// Inline SVG charts of Kohl's report pages (no scripts, no fonts beyond the page's
// system-ui stack). Each function returns one <svg> element sized by its viewBox, so the
// page scales it. Labels are escaped here; callers pass plain text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kohl::report::svg {

// Categorical colours (Tableau 10), distinguishable side by side and in print.
const std::string& color(std::size_t i);

struct Series {
  std::string name;
  std::string color;
  std::vector<std::pair<double, double>> points;
  bool dashed = false;
  bool markers = true;
  bool step = false;  // ROC curves: straight segments between the given points (no markers)
};

struct Axis {
  std::string label;
  std::optional<double> min, max;  // fixed range; otherwise from the data (with nice ticks)
  bool integer = false;            // epochs: integer ticks
  bool hide_ticks = false;         // categories drawn by the chart itself
};

// Lines with optional markers, a legend, optional y = x diagonal (ROC, reliability).
std::string line_chart(const std::string& title, const std::vector<Series>& series, const Axis& x, const Axis& y,
                       bool diagonal = false, int width = 520, int height = 300);

// A confusion matrix: rows = truth, columns = predicted; cells coloured by the share of
// their row, with the count written in.
std::string heatmap(const std::string& title, const std::vector<std::string>& labels,
                    const std::vector<std::vector<double>>& counts);

struct BarValue {
  double value = 0;
  std::optional<std::pair<double, double>> ci;
};
// Grouped vertical bars: values[category][series], nullopt = undefined (drawn as "n/a").
std::string grouped_bars(const std::string& title, const std::vector<std::string>& categories,
                         const std::vector<std::string>& series_names,
                         const std::vector<std::vector<std::optional<BarValue>>>& values, const Axis& y);

struct ReliabilityBin {
  double lo = 0, hi = 0;
  std::int64_t count = 0;
  std::optional<double> confidence, accuracy;
};
// Reliability diagram: accuracy against confidence per bin (bars), the diagonal of perfect
// calibration, and the sample count of each bin.
std::string reliability(const std::string& title, const std::vector<ReliabilityBin>& bins);

struct BoxStats {
  std::string label;
  double min = 0, q1 = 0, median = 0, q3 = 0, max = 0, mean = 0;
  std::size_t n = 0;
};
// Horizontal box plots (whiskers at min/max), with reference lines at `marks` (e.g. 2.3, 5).
std::string box_plot(const std::string& title, const std::vector<BoxStats>& boxes, const std::string& x_label,
                     const std::vector<std::pair<double, std::string>>& marks = {});
// Histogram of values over `bins` equal-width bins from 0, with reference lines.
std::string histogram(const std::string& title, const std::vector<double>& values, int bins,
                      const std::string& x_label, const std::vector<std::pair<double, std::string>>& marks = {});

// Two colour swatches side by side (reference left, predicted right), CSS colours "#rrggbb".
std::string swatch_pair(const std::string& reference, const std::string& predicted, const std::string& caption);

// Five-number summary and mean; values must not be empty.
BoxStats box_stats(const std::string& label, std::vector<double> values);

}  // namespace kohl::report::svg

// Inline SVG charts (see svg.hpp). Coordinates are written with one decimal; the charts
// are small (hundreds of elements), so plain string building is fast enough.
#include "kohl/report/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "kohl/report/html.hpp"
#include "kohl/report/stats.hpp"

namespace kohl::report::svg {

namespace {

std::string n1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// "Nice" tick values covering [lo, hi] (1, 2, 2.5, 5 x 10^k steps).
std::vector<double> nice_ticks(double& lo, double& hi, int target, bool integer) {
  if (!(hi > lo)) {
    const double pad = std::abs(lo) > 0 ? std::abs(lo) * 0.1 : 1.0;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  if (integer) step = std::max(1.0, std::round(step));
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> t;
  for (double v = lo; v <= hi + step * 1e-6; v += step) t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return t;
}

std::string tick_label(double v, double step) {
  int digits = 0;
  if (step < 1) digits = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  if (step < 1 && std::abs(step * std::pow(10, digits) - std::round(step * std::pow(10, digits))) > 1e-6) ++digits;
  return fmt(v, std::min(digits, 4));
}

struct Frame {
  int width, height;
  double left = 56, right = 16, top = 34, bottom = 46;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  double px(double x) const { return left + (x - x0) / (x1 - x0) * (width - left - right); }
  double py(double y) const { return height - bottom - (y - y0) / (y1 - y0) * (height - top - bottom); }
  double plot_w() const { return width - left - right; }
  double plot_h() const { return height - top - bottom; }
};

std::string open_svg(int w, int h, const std::string& title) {
  std::ostringstream os;
  os << "<svg class=\"chart\" viewBox=\"0 0 " << w << " " << h << "\" width=\"" << w << "\" height=\"" << h
     << "\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"" << escape(title) << "\">"
     << "<text x=\"8\" y=\"18\" class=\"ct\">" << escape(title) << "</text>";
  return os.str();
}

// Axes, grid lines and tick labels; sets f's ranges to the ticks' ends.
std::string axes(Frame& f, const Axis& x, const Axis& y, double dx0, double dx1, double dy0, double dy1) {
  double xl = x.min.value_or(dx0), xh = x.max.value_or(dx1);
  double yl = y.min.value_or(dy0), yh = y.max.value_or(dy1);
  auto xt = nice_ticks(xl, xh, 6, x.integer);
  auto yt = nice_ticks(yl, yh, 5, y.integer);
  if (x.min) xl = *x.min;
  if (x.max) xh = *x.max;
  if (y.min) yl = *y.min;
  if (y.max) yh = *y.max;
  f.x0 = xl;
  f.x1 = xh;
  f.y0 = yl;
  f.y1 = yh;
  std::ostringstream os;
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : 1, ys = yt.size() > 1 ? yt[1] - yt[0] : 1;
  for (double v : yt) {
    if (v < yl - 1e-9 || v > yh + 1e-9) continue;
    os << "<line class=\"grid\" x1=\"" << n1(f.left) << "\" x2=\"" << n1(f.width - f.right) << "\" y1=\""
       << n1(f.py(v)) << "\" y2=\"" << n1(f.py(v)) << "\"/>"
       << "<text class=\"tk\" x=\"" << n1(f.left - 6) << "\" y=\"" << n1(f.py(v) + 4) << "\" text-anchor=\"end\">"
       << tick_label(v, ys) << "</text>";
  }
  for (double v : xt) {
    if (x.hide_ticks || v < xl - 1e-9 || v > xh + 1e-9) continue;
    os << "<line class=\"tick\" x1=\"" << n1(f.px(v)) << "\" x2=\"" << n1(f.px(v)) << "\" y1=\""
       << n1(f.height - f.bottom) << "\" y2=\"" << n1(f.height - f.bottom + 4) << "\"/>"
       << "<text class=\"tk\" x=\"" << n1(f.px(v)) << "\" y=\"" << n1(f.height - f.bottom + 16)
       << "\" text-anchor=\"middle\">" << tick_label(v, xs) << "</text>";
  }
  os << "<line class=\"axis\" x1=\"" << n1(f.left) << "\" x2=\"" << n1(f.width - f.right) << "\" y1=\""
     << n1(f.height - f.bottom) << "\" y2=\"" << n1(f.height - f.bottom) << "\"/>"
     << "<line class=\"axis\" x1=\"" << n1(f.left) << "\" x2=\"" << n1(f.left) << "\" y1=\"" << n1(f.top)
     << "\" y2=\"" << n1(f.height - f.bottom) << "\"/>";
  if (!x.label.empty())
    os << "<text class=\"al\" x=\"" << n1(f.left + f.plot_w() / 2) << "\" y=\"" << n1(f.height - 8)
       << "\" text-anchor=\"middle\">" << escape(x.label) << "</text>";
  if (!y.label.empty())
    os << "<text class=\"al\" transform=\"translate(14," << n1(f.top + f.plot_h() / 2)
       << ") rotate(-90)\" text-anchor=\"middle\">" << escape(y.label) << "</text>";
  return os.str();
}

std::string legend(const std::vector<std::pair<std::string, std::string>>& items, double x, double y, double width,
                   const std::vector<bool>& dashed = {}) {
  std::ostringstream os;
  double cx = x, cy = y;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const double w = 26 + 6.5 * static_cast<double>(items[i].first.size());
    if (cx + w > x + width && cx > x) {
      cx = x;
      cy += 14;
    }
    const bool d = i < dashed.size() && dashed[i];
    os << "<line x1=\"" << n1(cx) << "\" x2=\"" << n1(cx + 16) << "\" y1=\"" << n1(cy - 4) << "\" y2=\"" << n1(cy - 4)
       << "\" stroke=\"" << items[i].second << "\" stroke-width=\"2.5\"" << (d ? " stroke-dasharray=\"5 3\"" : "")
       << "/><text class=\"lg\" x=\"" << n1(cx + 20) << "\" y=\"" << n1(cy) << "\">" << escape(items[i].first)
       << "</text>";
    cx += w;
  }
  return os.str();
}

// Rows of legend needed for the items at this width.
int legend_rows(const std::vector<std::string>& names, double width) {
  int rows = names.empty() ? 0 : 1;
  double cx = 0;
  for (const auto& n : names) {
    const double w = 26 + 6.5 * static_cast<double>(n.size());
    if (cx + w > width && cx > 0) {
      ++rows;
      cx = 0;
    }
    cx += w;
  }
  return rows;
}

// White or near-black text on a fill of this lightness.
std::string blend(double t) {
  // light (#f4f7fb) to dark blue (#1f4e79)
  const int r = static_cast<int>(std::round(244 + (31 - 244) * t));
  const int g = static_cast<int>(std::round(247 + (78 - 247) * t));
  const int b = static_cast<int>(std::round(251 + (121 - 251) * t));
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

// The CIEDE2000 thresholds (2.3, 5) as dashed vertical lines on a
// ΔE axis, their labels stacked above the plot (the frame's top leaves 11 px a mark).
void draw_de_marks(std::ostream& os, const Frame& f, const std::vector<std::pair<double, std::string>>& marks) {
  for (std::size_t m = 0; m < marks.size(); ++m)
    os << "<line x1=\"" << n1(f.px(marks[m].first)) << "\" x2=\"" << n1(f.px(marks[m].first)) << "\" y1=\""
       << n1(f.top) << "\" y2=\"" << n1(f.height - f.bottom) << "\" stroke=\"#59a14f\" stroke-dasharray=\"4 3\"/>"
       << "<text class=\"lg\" x=\"" << n1(f.px(marks[m].first) + 3) << "\" y=\""
       << n1(f.top - 2 - 11.0 * static_cast<double>(marks.size() - 1 - m)) << "\" fill=\"#3b7a34\">"
       << escape("\u0394E " + marks[m].second) << "</text>";
}

}  // namespace

const std::string& color(std::size_t i) {
  static const std::vector<std::string> kColors = {"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
                                                   "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#7f7f7f"};
  return kColors[i % kColors.size()];
}

std::string line_chart(const std::string& title, const std::vector<Series>& series, const Axis& x, const Axis& y,
                       bool diagonal, int width, int height) {
  std::vector<std::string> names;
  for (const auto& s : series) names.push_back(s.name);
  const int rows = legend_rows(names, width - 60);
  Frame f{width, height + 14 * std::max(0, rows - 1)};
  f.top = 26 + 14.0 * rows;
  double xl = 1e300, xh = -1e300, yl = 1e300, yh = -1e300;
  for (const auto& s : series)
    for (const auto& [px, py] : s.points) {
      if (!std::isfinite(px) || !std::isfinite(py)) continue;
      xl = std::min(xl, px);
      xh = std::max(xh, px);
      yl = std::min(yl, py);
      yh = std::max(yh, py);
    }
  if (xl > xh) xl = 0, xh = 1, yl = 0, yh = 1;
  std::ostringstream os;
  os << open_svg(f.width, f.height, title) << axes(f, x, y, xl, xh, yl, yh);
  if (diagonal)
    os << "<line x1=\"" << n1(f.px(f.x0)) << "\" y1=\"" << n1(f.py(f.y0)) << "\" x2=\"" << n1(f.px(f.x1)) << "\" y2=\""
       << n1(f.py(f.y1)) << "\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>";
  std::vector<std::pair<std::string, std::string>> items;
  std::vector<bool> dashed;
  for (const auto& s : series) {
    items.push_back({s.name, s.color});
    dashed.push_back(s.dashed);
    std::string d;
    for (const auto& [px, py] : s.points) {
      if (!std::isfinite(px) || !std::isfinite(py)) continue;
      d += (d.empty() ? "M" : " L") + n1(f.px(px)) + " " + n1(f.py(py));
    }
    if (d.empty()) continue;
    os << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\""
       << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>";
    if (s.markers && !s.step)
      for (const auto& [px, py] : s.points)
        if (std::isfinite(px) && std::isfinite(py))
          os << "<circle cx=\"" << n1(f.px(px)) << "\" cy=\"" << n1(f.py(py)) << "\" r=\"3\" fill=\"" << s.color
             << "\"><title>" << escape(s.name) << ": " << fmt(px, x.integer ? 0 : 3) << ", " << fmt(py, 4)
             << "</title></circle>";
  }
  os << legend(items, f.left + 4, 24 + 14, width - f.left - 8, dashed) << "</svg>";
  return os.str();
}

std::string heatmap(const std::string& title, const std::vector<std::string>& labels,
                    const std::vector<std::vector<double>>& counts) {
  const std::size_t k = labels.size();
  std::size_t longest = 1;
  for (const auto& l : labels) longest = std::max(longest, l.size());
  const double cell = k <= 4 ? 64 : k <= 8 ? 46 : k <= 12 ? 36 : 26;
  const double label_w = std::min(120.0, 12 + 7.0 * static_cast<double>(longest));
  const double left = label_w + 22, top = 44;
  const double w = std::max(300.0, left + cell * static_cast<double>(k) + 12);
  const double h = top + cell * static_cast<double>(k) + label_w + 18;
  std::ostringstream os;
  os << open_svg(static_cast<int>(w), static_cast<int>(h), title);
  os << "<text class=\"al\" x=\"" << n1(left + cell * static_cast<double>(k) / 2) << "\" y=\"" << n1(top - 8)
     << "\" text-anchor=\"middle\">predicted</text>"
     << "<text class=\"al\" transform=\"translate(12," << n1(top + cell * static_cast<double>(k) / 2)
     << ") rotate(-90)\" text-anchor=\"middle\">true</text>";
  for (std::size_t r = 0; r < k; ++r) {
    double row_sum = 0;
    for (std::size_t c = 0; c < k && r < counts.size() && c < counts[r].size(); ++c) row_sum += counts[r][c];
    for (std::size_t c = 0; c < k; ++c) {
      const double v = r < counts.size() && c < counts[r].size() ? counts[r][c] : 0;
      const double t = row_sum > 0 ? v / row_sum : 0;
      const double x = left + cell * static_cast<double>(c), y = top + cell * static_cast<double>(r);
      os << "<rect x=\"" << n1(x) << "\" y=\"" << n1(y) << "\" width=\"" << n1(cell - 1) << "\" height=\""
         << n1(cell - 1) << "\" fill=\"" << blend(t) << "\"" << (r == c ? " stroke=\"#333\" stroke-width=\"1\"" : "")
         << "><title>true " << escape(labels[r]) << ", predicted " << escape(labels[c]) << ": " << fmt(v, 0) << " ("
         << fmt(100 * t, 0) << "% of the row)</title></rect>";
      if (v > 0)
        os << "<text x=\"" << n1(x + cell / 2) << "\" y=\"" << n1(y + cell / 2 + 4) << "\" text-anchor=\"middle\" "
           << "class=\"cv\" fill=\"" << (t > 0.5 ? "#fff" : "#222") << "\">" << fmt(v, 0) << "</text>";
    }
    os << "<text class=\"tk\" x=\"" << n1(left - 6) << "\" y=\"" << n1(top + cell * (static_cast<double>(r) + 0.5) + 4)
       << "\" text-anchor=\"end\">" << escape(labels[r]) << "</text>";
  }
  for (std::size_t c = 0; c < k; ++c) {
    const double x = left + cell * (static_cast<double>(c) + 0.5), y = top + cell * static_cast<double>(k) + 8;
    os << "<text class=\"tk\" transform=\"translate(" << n1(x + 4) << "," << n1(y) << ") rotate(-45)\" "
       << "text-anchor=\"end\">" << escape(labels[c]) << "</text>";
  }
  os << "</svg>";
  return os.str();
}

std::string grouped_bars(const std::string& title, const std::vector<std::string>& categories,
                         const std::vector<std::string>& series_names,
                         const std::vector<std::vector<std::optional<BarValue>>>& values, const Axis& y) {
  const std::size_t nc = categories.size(), ns = std::max<std::size_t>(1, series_names.size());
  const double group_w = std::max(36.0, 14.0 * static_cast<double>(ns) + 12);
  const int rows = legend_rows(series_names, 400);
  Frame f{static_cast<int>(std::max(360.0, 70 + group_w * static_cast<double>(nc))), 300 + 14 * (rows - 1)};
  f.top = 26 + 14.0 * rows;
  f.bottom = 64;
  double lo = 0, hi = 0;
  for (const auto& row : values)
    for (const auto& v : row)
      if (v) {
        hi = std::max(hi, v->ci ? v->ci->second : v->value);
        lo = std::min(lo, v->ci ? v->ci->first : v->value);
      }
  std::ostringstream os;
  os << open_svg(f.width, f.height, title) << axes(f, {"", 0.0, static_cast<double>(nc), false, true}, y, 0, 1, lo, hi);
  const double gw = f.plot_w() / std::max<std::size_t>(1, nc), bw = (gw - 10) / static_cast<double>(ns);
  for (std::size_t c = 0; c < nc; ++c) {
    const double gx = f.left + gw * static_cast<double>(c) + 5;
    for (std::size_t s = 0; s < ns && c < values.size() && s < values[c].size(); ++s) {
      const double x = gx + bw * static_cast<double>(s);
      const auto& v = values[c][s];
      if (!v) {
        os << "<text class=\"na\" x=\"" << n1(x + bw / 2) << "\" y=\"" << n1(f.py(f.y0) - 4)
           << "\" text-anchor=\"middle\">n/a</text>";
        continue;
      }
      const double y0 = f.py(std::max(f.y0, 0.0)), y1 = f.py(v->value);
      os << "<rect x=\"" << n1(x) << "\" y=\"" << n1(std::min(y0, y1)) << "\" width=\"" << n1(std::max(1.0, bw - 2))
         << "\" height=\"" << n1(std::max(0.5, std::abs(y0 - y1))) << "\" fill=\"" << color(s) << "\"><title>"
         << escape(categories[c]) << " " << escape(s < series_names.size() ? series_names[s] : "") << ": "
         << fmt(v->value) << (v->ci ? " [" + fmt(v->ci->first) + ", " + fmt(v->ci->second) + "]" : "")
         << "</title></rect>";
      if (v->ci) {
        const double cx = x + (bw - 2) / 2;
        os << "<path d=\"M" << n1(cx) << " " << n1(f.py(v->ci->first)) << " V" << n1(f.py(v->ci->second)) << " M"
           << n1(cx - 3) << " " << n1(f.py(v->ci->first)) << " h6 M" << n1(cx - 3) << " " << n1(f.py(v->ci->second))
           << " h6\" stroke=\"#222\" stroke-width=\"1\" fill=\"none\"/>";
      }
    }
    os << "<text class=\"tk\" transform=\"translate(" << n1(gx + (gw - 10) / 2 + 4) << "," << n1(f.height - f.bottom + 14)
       << ") rotate(-35)\" text-anchor=\"end\">" << escape(categories[c]) << "</text>";
  }
  std::vector<std::pair<std::string, std::string>> items;
  for (std::size_t s = 0; s < series_names.size(); ++s) items.push_back({series_names[s], color(s)});
  os << legend(items, f.left + 4, 24 + 14, f.width - f.left - 8) << "</svg>";
  return os.str();
}

std::string reliability(const std::string& title, const std::vector<ReliabilityBin>& bins) {
  Frame f{420, 340};
  f.top = 40;
  f.bottom = 80;
  std::ostringstream os;
  os << open_svg(f.width, f.height, title)
     << axes(f, {"confidence (top-label probability)", 0.0, 1.0}, {"accuracy", 0.0, 1.0}, 0, 1, 0, 1);
  os << "<line x1=\"" << n1(f.px(0)) << "\" y1=\"" << n1(f.py(0)) << "\" x2=\"" << n1(f.px(1)) << "\" y2=\""
     << n1(f.py(1)) << "\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>";
  std::int64_t max_count = 1;
  for (const auto& b : bins) max_count = std::max(max_count, b.count);
  for (const auto& b : bins) {
    const double x = f.px(b.lo) + 1, w = std::max(1.0, f.px(b.hi) - f.px(b.lo) - 2);
    if (b.accuracy) {
      os << "<rect x=\"" << n1(x) << "\" y=\"" << n1(f.py(*b.accuracy)) << "\" width=\"" << n1(w) << "\" height=\""
         << n1(f.py(0) - f.py(*b.accuracy)) << "\" fill=\"#4e79a7\" fill-opacity=\"0.75\"><title>(" << fmt(b.lo, 2)
         << ", " << fmt(b.hi, 2) << "]: " << b.count << " samples, accuracy " << fmt(*b.accuracy) << ", confidence "
         << fmt(b.confidence) << "</title></rect>";
    }
    if (b.confidence)
      os << "<circle cx=\"" << n1(f.px(*b.confidence)) << "\" cy=\"" << n1(f.py(b.accuracy.value_or(0))) << "\" r=\"2.5\" "
         << "fill=\"#e15759\"/>";
    // counts strip under the axis
    const double hmax = 22, hb = hmax * static_cast<double>(b.count) / static_cast<double>(max_count);
    if (b.count > 0)
      os << "<rect x=\"" << n1(x) << "\" y=\"" << n1(f.height - 56 + hmax - hb) << "\" width=\"" << n1(w) << "\" height=\""
         << n1(hb) << "\" fill=\"#bab0ac\"><title>" << b.count << " samples</title></rect>";
  }
  os << "<text class=\"tk\" x=\"" << n1(f.left - 6) << "\" y=\"" << n1(f.height - 36) << "\" text-anchor=\"end\">n "
     << max_count << "</text>"
     << legend({{"accuracy per bin", "#4e79a7"}, {"perfect calibration", "#999"}}, f.left + 4, 36,
               f.width - f.left, {false, true})
     << "</svg>";
  return os.str();
}

BoxStats box_stats(const std::string& label, std::vector<double> v) {
  BoxStats b;
  b.label = label;
  b.n = v.size();
  if (v.empty()) return b;
  std::sort(v.begin(), v.end());
  b.min = v.front();
  b.max = v.back();
  b.q1 = percentile(v, 25);
  b.median = percentile(v, 50);
  b.q3 = percentile(v, 75);
  double s = 0;
  for (double x : v) s += x;
  b.mean = s / static_cast<double>(v.size());
  return b;
}

std::string box_plot(const std::string& title, const std::vector<BoxStats>& boxes, const std::string& x_label,
                     const std::vector<std::pair<double, std::string>>& marks) {
  std::size_t longest = 4;
  for (const auto& b : boxes) longest = std::max(longest, b.label.size());
  Frame f{500, static_cast<int>(96 + 34 * boxes.size())};
  f.left = 20 + 7.0 * static_cast<double>(longest);
  f.top = 34 + 11.0 * static_cast<double>(marks.size());
  double hi = 0;
  for (const auto& b : boxes) hi = std::max(hi, b.max);
  for (const auto& m : marks) hi = std::max(hi, m.first);
  std::ostringstream os;
  os << open_svg(f.width, f.height, title);
  double lo = 0;
  auto ticks = nice_ticks(lo, hi, 6, false);
  f.x0 = 0;
  f.x1 = hi;
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (double t : ticks)
    os << "<line class=\"grid\" x1=\"" << n1(f.px(t)) << "\" x2=\"" << n1(f.px(t)) << "\" y1=\"" << n1(f.top)
       << "\" y2=\"" << n1(f.height - f.bottom) << "\"/><text class=\"tk\" x=\"" << n1(f.px(t)) << "\" y=\""
       << n1(f.height - f.bottom + 16) << "\" text-anchor=\"middle\">" << tick_label(t, step) << "</text>";
  os << "<text class=\"al\" x=\"" << n1(f.left + f.plot_w() / 2) << "\" y=\"" << n1(f.height - 8)
     << "\" text-anchor=\"middle\">" << escape(x_label) << "</text>";
  draw_de_marks(os, f, marks);
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    const auto& b = boxes[i];
    const double cy = f.top + 20 + 34.0 * static_cast<double>(i);
    os << "<text class=\"tk\" x=\"" << n1(f.left - 6) << "\" y=\"" << n1(cy + 4) << "\" text-anchor=\"end\">"
       << escape(b.label) << "</text>";
    if (b.n == 0) continue;
    os << "<g><title>" << escape(b.label) << ": n " << b.n << ", min " << fmt(b.min, 2) << ", Q1 " << fmt(b.q1, 2)
       << ", median " << fmt(b.median, 2) << ", Q3 " << fmt(b.q3, 2) << ", max " << fmt(b.max, 2) << ", mean "
       << fmt(b.mean, 2) << "</title>"
       << "<line x1=\"" << n1(f.px(b.min)) << "\" x2=\"" << n1(f.px(b.max)) << "\" y1=\"" << n1(cy) << "\" y2=\""
       << n1(cy) << "\" stroke=\"#555\"/>"
       << "<rect x=\"" << n1(f.px(b.q1)) << "\" y=\"" << n1(cy - 10) << "\" width=\""
       << n1(std::max(1.0, f.px(b.q3) - f.px(b.q1))) << "\" height=\"20\" fill=\"#a0cbe8\" stroke=\"#4e79a7\"/>"
       << "<line x1=\"" << n1(f.px(b.median)) << "\" x2=\"" << n1(f.px(b.median)) << "\" y1=\"" << n1(cy - 10)
       << "\" y2=\"" << n1(cy + 10) << "\" stroke=\"#1f4e79\" stroke-width=\"2.5\"/>"
       << "<path d=\"M" << n1(f.px(b.mean)) << " " << n1(cy - 5) << " l5 5 l-5 5 l-5 -5 z\" fill=\"#e15759\"/>"
       << "<line x1=\"" << n1(f.px(b.min)) << "\" x2=\"" << n1(f.px(b.min)) << "\" y1=\"" << n1(cy - 6) << "\" y2=\""
       << n1(cy + 6) << "\" stroke=\"#555\"/><line x1=\"" << n1(f.px(b.max)) << "\" x2=\"" << n1(f.px(b.max))
       << "\" y1=\"" << n1(cy - 6) << "\" y2=\"" << n1(cy + 6) << "\" stroke=\"#555\"/></g>";
  }
  os << "</svg>";
  return os.str();
}

std::string histogram(const std::string& title, const std::vector<double>& values, int bins, const std::string& x_label,
                      const std::vector<std::pair<double, std::string>>& marks) {
  Frame f{500, 270};
  f.top = 34 + 11.0 * static_cast<double>(marks.size());
  double hi = 0;
  for (double v : values) hi = std::max(hi, v);
  for (const auto& m : marks) hi = std::max(hi, m.first);
  double lo = 0;
  nice_ticks(lo, hi, 6, false);
  std::vector<double> counts(static_cast<std::size_t>(std::max(1, bins)), 0);
  const double w = hi / static_cast<double>(counts.size());
  for (double v : values) {
    auto i = static_cast<std::size_t>(std::clamp(std::floor(v / w), 0.0, static_cast<double>(counts.size() - 1)));
    counts[i] += 1;
  }
  double cmax = 1;
  for (double c : counts) cmax = std::max(cmax, c);
  std::ostringstream os;
  os << open_svg(f.width, f.height, title)
     << axes(f, {x_label, 0.0, hi}, {"samples", 0.0, std::nullopt, true}, 0, hi, 0, cmax);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] <= 0) continue;
    const double x0 = f.px(w * static_cast<double>(i)), x1 = f.px(w * static_cast<double>(i + 1));
    os << "<rect x=\"" << n1(x0 + 0.5) << "\" y=\"" << n1(f.py(counts[i])) << "\" width=\"" << n1(std::max(0.5, x1 - x0 - 1))
       << "\" height=\"" << n1(f.py(0) - f.py(counts[i])) << "\" fill=\"#4e79a7\"><title>" << fmt(w * static_cast<double>(i), 1)
       << "\u2013" << fmt(w * static_cast<double>(i + 1), 1) << ": " << fmt(counts[i], 0) << "</title></rect>";
  }
  draw_de_marks(os, f, marks);
  os << "</svg>";
  return os.str();
}

std::string swatch_pair(const std::string& reference, const std::string& predicted, const std::string& caption) {
  std::ostringstream os;
  os << "<svg class=\"sw\" viewBox=\"0 0 132 58\" width=\"132\" height=\"58\" xmlns=\"http://www.w3.org/2000/svg\">"
     << "<title>" << escape(caption) << "</title>"
     << "<rect x=\"0.5\" y=\"0.5\" width=\"65\" height=\"38\" fill=\"" << escape(reference)
     << "\" stroke=\"#c9ced6\"><title>reference " << escape(reference) << "</title></rect>"
     << "<rect x=\"66\" y=\"0.5\" width=\"65\" height=\"38\" fill=\"" << escape(predicted)
     << "\" stroke=\"#c9ced6\"><title>predicted " << escape(predicted) << "</title></rect>"
     << "<text x=\"33\" y=\"50\" text-anchor=\"middle\" class=\"tk\">reference</text>"
     << "<text x=\"99\" y=\"50\" text-anchor=\"middle\" class=\"tk\">predicted</text></svg>";
  return os.str();
}

}  // namespace kohl::report::svg

// McNemar's test and the paired bootstrap (see stats.hpp).
#include "kohl/report/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "kohl/sdk/random.hpp"

namespace kohl::report {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// log C(n, k) through lgamma: exact enough for p-values (relative error ~1e-12).
double log_choose(std::int64_t n, std::int64_t k) {
  return std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
         std::lgamma(static_cast<double>(n - k) + 1);
}
}  // namespace

double binomial_two_sided_half(std::int64_t k, std::int64_t n) {
  if (n <= 0) return 1.0;
  const std::int64_t m = std::min(k, n - k);
  double cdf = 0;
  const double log_half_n = static_cast<double>(n) * std::log(0.5);
  for (std::int64_t i = 0; i <= m; ++i) cdf += std::exp(log_choose(n, i) + log_half_n);
  return std::min(1.0, 2.0 * cdf);
}

double chi2_sf_1df(double x) {
  if (!(x > 0)) return 1.0;
  return std::erfc(std::sqrt(x / 2.0));
}

McNemarResult mcnemar(const std::vector<bool>& a, const std::vector<bool>& b, std::int64_t exact_below) {
  if (a.size() != b.size()) throw std::invalid_argument("mcnemar: the two runs have different sample counts");
  McNemarResult r;
  r.n = static_cast<std::int64_t>(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] && b[i]) ++r.both_right;
    else if (a[i]) ++r.only_a;
    else if (b[i]) ++r.only_b;
    else ++r.both_wrong;
  }
  const std::int64_t d = r.only_a + r.only_b;
  if (d == 0) {
    r.method = kMcNemarNone;
    r.p = 1.0;
  } else if (d < exact_below) {
    r.method = kMcNemarExact;
    r.p = binomial_two_sided_half(std::min(r.only_a, r.only_b), d);
  } else {
    r.method = kMcNemarChi2;
    const double diff = std::abs(static_cast<double>(r.only_a - r.only_b)) - 1.0;
    r.statistic = std::max(0.0, diff) * std::max(0.0, diff) / static_cast<double>(d);
    r.p = chi2_sf_1df(*r.statistic);
  }
  return r;
}

double percentile(std::vector<double> x, double q) {
  if (x.empty()) return kNaN;
  std::sort(x.begin(), x.end());
  const double pos = q / 100.0 * static_cast<double>(x.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return x[lo] + (x[hi] - x[lo]) * frac;
}

// One resample: n indices from the generator, in order (bootstrap_indices and
// paired_bootstrap draw the same rows from the same seed).
static void next_row(std::mt19937_64& rng, std::size_t n, std::vector<std::uint32_t>& row) {
  row.resize(n);
  for (auto& i : row) i = static_cast<std::uint32_t>(sdk::uniform_below(rng, n));
}

std::vector<std::vector<std::uint32_t>> bootstrap_indices(std::size_t n, std::int64_t resamples, std::uint64_t seed) {
  std::mt19937_64 rng(splitmix64(seed));
  std::vector<std::vector<std::uint32_t>> out(static_cast<std::size_t>(std::max<std::int64_t>(0, resamples)));
  for (auto& row : out) next_row(rng, n, row);
  return out;
}

std::vector<std::uint32_t> all_indices(std::size_t n) {
  std::vector<std::uint32_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<std::uint32_t>(i);
  return idx;
}

PairedBootstrapResult paired_bootstrap(std::size_t n, const PairedStat& stat, std::int64_t resamples,
                                       std::uint64_t seed) {
  PairedBootstrapResult r;
  r.resamples = resamples;
  r.seed = seed;
  const auto [a, b] = stat(all_indices(n));
  r.a = a;
  r.b = b;
  r.delta = b - a;
  if (n == 0 || resamples <= 0) return r;
  std::vector<double> deltas;
  deltas.reserve(static_cast<std::size_t>(resamples));
  std::int64_t le = 0, ge = 0;
  // Row by row (not bootstrap_indices): R x n indices at once would be 80 MB for n = 10,000.
  std::mt19937_64 rng(splitmix64(seed));
  std::vector<std::uint32_t> idx;
  for (std::int64_t round = 0; round < resamples; ++round) {
    next_row(rng, n, idx);
    const auto [ra, rb] = stat(idx);
    const double d = rb - ra;
    if (std::isnan(d)) continue;
    deltas.push_back(d);
    if (d <= 0) ++le;
    if (d >= 0) ++ge;
  }
  r.used = static_cast<std::int64_t>(deltas.size());
  if (deltas.empty()) return r;
  r.ci95 = std::make_pair(percentile(deltas, 2.5), percentile(deltas, 97.5));
  r.p = std::min(1.0, 2.0 * static_cast<double>(std::min(le, ge)) / static_cast<double>(deltas.size()));
  return r;
}

double accuracy_of(const std::vector<int>& truth, const std::vector<int>& pred, const std::vector<std::uint32_t>& idx) {
  if (idx.empty()) return kNaN;
  std::size_t right = 0;
  for (auto i : idx) right += truth[i] == pred[i];
  return static_cast<double>(right) / static_cast<double>(idx.size());
}

double balanced_accuracy_of(const std::vector<int>& truth, const std::vector<int>& pred, int k,
                            const std::vector<std::uint32_t>& idx) {
  std::vector<double> support(static_cast<std::size_t>(k), 0), hit(static_cast<std::size_t>(k), 0);
  for (auto i : idx) {
    support[static_cast<std::size_t>(truth[i])] += 1;
    if (truth[i] == pred[i]) hit[static_cast<std::size_t>(truth[i])] += 1;
  }
  double sum = 0;
  int present = 0;
  for (int c = 0; c < k; ++c)
    if (support[static_cast<std::size_t>(c)] > 0) {
      sum += hit[static_cast<std::size_t>(c)] / support[static_cast<std::size_t>(c)];
      ++present;
    }
  return present ? sum / present : kNaN;
}

double f1_macro_of(const std::vector<int>& truth, const std::vector<int>& pred, int k,
                   const std::vector<std::uint32_t>& idx) {
  if (idx.empty() || k <= 0) return kNaN;
  std::vector<double> tp(static_cast<std::size_t>(k), 0), fp(tp), fn(tp);
  for (auto i : idx) {
    const auto t = static_cast<std::size_t>(truth[i]), p = static_cast<std::size_t>(pred[i]);
    if (t == p) tp[t] += 1;
    else {
      fp[p] += 1;
      fn[t] += 1;
    }
  }
  double sum = 0;
  for (std::size_t c = 0; c < tp.size(); ++c) {
    const double denom = 2 * tp[c] + fp[c] + fn[c];
    sum += denom > 0 ? 2 * tp[c] / denom : 0.0;
  }
  return sum / k;
}

double mean_of(const std::vector<std::vector<double>>& de, const std::vector<std::uint32_t>& idx) {
  double sum = 0;
  std::size_t count = 0;
  for (auto i : idx)
    for (double v : de[i]) {
      sum += v;
      ++count;
    }
  return count ? sum / static_cast<double>(count) : kNaN;
}

double share_under(const std::vector<std::vector<double>>& de, double threshold, const std::vector<std::uint32_t>& idx) {
  std::size_t under = 0, count = 0;
  for (auto i : idx)
    for (double v : de[i]) {
      under += v < threshold;
      ++count;
    }
  return count ? static_cast<double>(under) / static_cast<double>(count) : kNaN;
}

}  // namespace kohl::report

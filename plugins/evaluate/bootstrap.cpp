#include "bootstrap.hpp"

#include <algorithm>
#include <cmath>

#include "kohl/sdk/random.hpp"

namespace kohl::eval {

std::uint64_t mix_seed(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}


void resample_counts(std::mt19937_64& rng, std::size_t n, std::vector<double>& counts) {
  counts.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) counts[sdk::uniform_below(rng, n)] += 1.0;
}

std::optional<double> percentile(std::vector<double> x, double q) {
  x.erase(std::remove_if(x.begin(), x.end(), [](double v) { return std::isnan(v); }), x.end());
  if (x.empty()) return std::nullopt;
  std::sort(x.begin(), x.end());
  const double pos = (static_cast<double>(x.size()) - 1.0) * q / 100.0;
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, x.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return x[lo] + (x[hi] - x[lo]) * frac;
}

sdk::Json interval_json(const std::vector<double>& replicates) {
  const auto lo = percentile(replicates, 2.5), hi = percentile(replicates, 97.5);
  if (!lo || !hi) return nullptr;
  return sdk::Json::array({*lo, *hi});
}

sdk::Result<std::vector<std::vector<double>>> bootstrap(std::size_t n, std::size_t n_stats, std::int64_t rounds,
                                                        std::uint64_t seed, const StatFn& stats,
                                                        sdk::IProgress& progress) {
  std::vector<std::vector<double>> reps(n_stats);
  if (rounds <= 0 || n == 0) return reps;
  for (auto& r : reps) r.reserve(static_cast<std::size_t>(rounds));
  std::mt19937_64 rng(mix_seed(seed));
  std::vector<double> weights, out(n_stats);
  for (std::int64_t b = 0; b < rounds; ++b) {
    if (progress.cancelled()) return sdk::Status::cancelled("evaluation cancelled during the bootstrap");
    resample_counts(rng, n, weights);
    std::fill(out.begin(), out.end(), std::nan(""));
    stats(weights, out);
    for (std::size_t s = 0; s < n_stats; ++s) reps[s].push_back(out[s]);
    progress.advance(1);
  }
  return reps;
}

}  // namespace kohl::eval

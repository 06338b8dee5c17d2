// Bootstrap over samples for the evaluator plugins: resamples as per-sample weights,
// percentile intervals, seeds.
//
// A resample of n samples drawn with replacement is represented by how often each sample
// was drawn (a weight vector summing to n), so every metric is computed by one weighted
// function for the point value (all weights 1) and for every resample, and per-class sort
// orders are computed once instead of once per resample.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "kohl/sdk/params.hpp"
#include "kohl/sdk/progress.hpp"
#include "kohl/sdk/status.hpp"

namespace kohl::eval {

// splitmix64's finaliser: turns user seeds 0, 1, 2, ... into unrelated generator states.
std::uint64_t mix_seed(std::uint64_t x);

// FNV-1a, 64 bit: a stable hash of a band name (std::hash differs between libraries).
std::uint64_t fnv1a64(std::string_view s);

// Draws n indices uniformly with replacement and writes how often each was drawn into
// `counts` (resized to n). Portable: mt19937_64's output is fixed by the standard and the
// bounded draw is Lemire's multiply-shift with rejection, not std::uniform_int_distribution
// (whose algorithm differs between standard libraries), so a seed gives the same intervals
// everywhere.
void resample_counts(std::mt19937_64& rng, std::size_t n, std::vector<double>& counts);

// numpy.percentile(x, q) with its default linear interpolation, after dropping NaNs
// (resamples where the statistic is undefined); nullopt when nothing is left.
std::optional<double> percentile(std::vector<double> x, double q);

// [2.5th, 97.5th] percentile of the replicates as JSON, or null (no resamples, or the
// statistic was undefined in every one).
sdk::Json interval_json(const std::vector<double>& replicates);

// Computes `n_stats` statistics from per-sample weights (NaN = undefined for these weights).
using StatFn = std::function<void(const std::vector<double>& weights, std::vector<double>& out)>;

// Runs `rounds` resamples of n samples from generator mt19937_64(mix_seed(seed)) and returns
// replicates[stat][round]. Polls progress.cancelled() before each round (Status::cancelled
// when set) and advances progress by one after it.
sdk::Result<std::vector<std::vector<double>>> bootstrap(std::size_t n, std::size_t n_stats, std::int64_t rounds,
                                                        std::uint64_t seed, const StatFn& stats,
                                                        sdk::IProgress& progress);

}  // namespace kohl::eval

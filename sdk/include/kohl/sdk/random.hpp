// Random helpers shared by plugins and the host, so that two places that resample the same
// data (an evaluator's bootstrap, the report's paired bootstrap) draw in the same way.
#pragma once

#include <cstdint>
#include <random>

namespace kohl::sdk {

// Uniform in [0, range), unbiased: Lemire's multiply-shift with rejection (2019). range > 0.
inline std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t range) {
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * range;
  auto low = static_cast<std::uint64_t>(m);
  if (low < range) {
    const std::uint64_t threshold = (0 - range) % range;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * range;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

}  // namespace kohl::sdk

// IAugmenter: changes a Sample (pixels, and for geometric ones the annotations with them).
#pragma once

#include <random>
#include <vector>

#include "kohl/sdk/plugin.hpp"
#include "kohl/sdk/progress.hpp"
#include "kohl/sdk/sample.hpp"

namespace kohl::sdk {

class IAugmenter : public IPlugin {
 public:
  // Changes `sample` in place using randomness only from `rng`, so a seed reproduces it.
  // Called concurrently from data-loader worker threads on the same object: must be
  // const and thread-safe. A geometric augmenter (kCapGeometric) moves landmarks, masks
  // and boxes with the pixels, and swaps left/right indices and labels when it mirrors.
  // On error the sample is in an unspecified state; the caller drops it.
  virtual Status apply(Sample& sample, std::mt19937_64& rng) const = 0;

  // Applies to each sample in turn; stops with Status::cancelled() as soon as
  // progress.cancelled() is true (checked before every sample).
  Status apply_batch(std::vector<Sample>& batch, std::mt19937_64& rng, IProgress& progress) const {
    for (auto& s : batch) {
      if (progress.cancelled()) return Status::cancelled("augmentation cancelled");
      Status st = apply(s, rng);
      if (!st) return st;
      progress.advance(1);
    }
    return Status::ok();
  }
};

}  // namespace kohl::sdk

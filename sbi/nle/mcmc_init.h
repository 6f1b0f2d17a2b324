// Starting states for MCMC chains by sampling-importance-resampling (Rubin 1988), sbi's "sir"
// and "resample" initialisations: candidates are drawn from a proposal (the prior), each gets a
// log weight, and every chain starts at a candidate picked with probability proportional to its
// weight. With weights log p(x_o | θ) (prior proposal, "sir") the picks are approximately
// posterior draws, so chains start in the posterior's bulk instead of burning in from the prior.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "sbi/rng.h"

namespace amor::sbi::nle {

// Random stream of the resampling draws.
inline constexpr uint64_t kMcmcInitStream = 0x52;

// k indices in [0, M) drawn with replacement, P(i) ∝ exp(log_weights[i]) (computed relative to
// the largest weight, so any finite scale works). NaN and -inf weigh zero; +inf, no finite
// weight at all, or k < 1 give a ValueError.
std::vector<int64_t> resample_indices(const std::vector<double>& log_weights, int64_t k, Rng& rng);

// candidates: [M, d], log_weights: [M] -> the resampled rows [k, d] (float64), drawn with
// Rng(seed, kMcmcInitStream, 0).
Tensor importance_resample(const Tensor& candidates, const Tensor& log_weights, int64_t k, uint64_t seed);

}  // namespace amor::sbi::nle

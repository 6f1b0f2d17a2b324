// Moment-based comparisons of approximate posterior samples with reference samples, as sbibm's
// metrics/moments.py defines them (both take [n, d] sample sets and average over dimensions).
#pragma once

#include <vector>

#include "core/tensor.h"

namespace amor::sbi {

// Per dimension (mean(samples) - mean(reference)) / std(reference) (unbiased std); sbibm's
// posterior_mean_error returns the mean of these *signed* values despite its docstring's
// "absolute error". `posterior_mean_error` reproduces sbibm; the per-dimension vector is there
// for callers who want |·|.
std::vector<double> posterior_mean_error_per_dim(const Tensor& samples, const Tensor& reference);
double posterior_mean_error(const Tensor& samples, const Tensor& reference);

// Per dimension var(samples) / var(reference) (unbiased), and their mean (sbibm's
// posterior_variance_ratio): 1 is ideal, < 1 over-confident, > 1 under-confident.
std::vector<double> posterior_variance_ratio_per_dim(const Tensor& samples,
                                                     const Tensor& reference);
double posterior_variance_ratio(const Tensor& samples, const Tensor& reference);

}  // namespace amor::sbi

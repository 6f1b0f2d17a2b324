// MMD²: the maximum mean discrepancy between two sample sets with a Gaussian kernel, as
// sbibm/metrics/mmd.py computes it (implementation "tp_sutherland", the default).
//
//   k(a, b) = exp(-‖a - b‖² / (2σ²)),  σ = median of the pairwise distances of X
//   (bandwidth X, the default) or of [X; Y] (bandwidth XY); torch.median returns the lower
//   of the two middle values for an even count, and so does this code.
//   MMD²_u = mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) - 2 mean_{i,j} k(x_i, y_j)
// The unbiased estimate can be slightly negative when the two distributions are equal.
// z_score (default false, as in sbibm) standardises both sets with X's mean and unbiased std
// first. sbibm returns NaN when any sample is NaN; amor throws ValueError instead.
// Everything is float64; rows are processed in parallel with per-row partial sums combined in
// a fixed order, so the value does not depend on the thread count. The median is exact,
// found by a histogram pass and a selection within one bucket (no n² buffer).
#pragma once

#include "core/tensor.h"

namespace amor::sbi {

enum class MmdBandwidth { X, XY };

struct MmdOptions {
  MmdBandwidth bandwidth = MmdBandwidth::X;
  bool z_score = false;
  double sigma = 0.0;  // > 0: use this bandwidth instead of the median heuristic
};

// x: [n, d] (n >= 2), y: [m, d] (m >= 2); float32 or float64.
double mmd2_unbiased(const Tensor& x, const Tensor& y, const MmdOptions& options = {});
// The lower median of the n(n-1)/2 pairwise Euclidean distances of z: [n, d] (n >= 2).
double median_pairwise_distance(const Tensor& z);

}  // namespace amor::sbi

// TARP (Lemos, Coogan et al. 2023, "Sampling-based accuracy testing of posterior estimators
// for general inference"), with the semantics of sbi's run_tarp / check_tarp.
//
// For each of n simulations (θ_i, x_i) with L posterior samples θ_il ~ q(θ | x_i) and a
// random reference point θ_r,i: f_i = #{l : dist(θ_r,i, θ_il) < dist(θ_r,i, θ_i)} / L, the
// posterior mass of the ball around the reference that reaches the truth. For an exact
// posterior f is uniform on [0, 1], so its ECDF — the expected coverage probability (ECP)
// curve — lies on the diagonal; ECP below the diagonal means over-confident, above means
// under-confident (and some biases show as well).
//
// As in sbi:
// - references default to U(min_i θ_i, max_i θ_i) per dimension (one per simulation);
// - z_score_theta (default true) maps θ, samples and references by (v - lo)/(hi - lo + 1e-10)
//   with lo, hi the per-dimension min / max of θ;
// - distance l2 (default) or l1;
// - num_bins = 0 means n / 10; the histogram is torch.histogram's: bins between min f and
//   max f (widened by ±0.5 when they are equal), so alpha runs from min f to max f, not
//   necessarily from 0 to 1; ecp = [0, cumsum(counts) / n];
// - check_tarp: ATC = Σ_{k >= K/2} (ecp_k - alpha_k)·Δalpha over the upper half of the grid
//   (K = num_bins + 1 points; > 0 under-confident, < 0 over-confident) and the two-sample KS
//   p-value between the arrays ecp and alpha (scipy kstest(ecp, alpha), exact).
// Shapes: theta_true [n, d], posterior_samples [n, L, d] (sbi's is [L, n, d]),
// references [n, d].
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace amor::sbi {

enum class TarpDistance { L2, L1 };

struct TarpOptions {
  int64_t num_bins = 0;  // 0: n / 10
  bool z_score_theta = true;
  TarpDistance distance = TarpDistance::L2;
  uint64_t seed = 0;  // for the default references
};

struct TarpResult {
  std::vector<double> ecp;    // [num_bins + 1], starts at 0
  std::vector<double> alpha;  // [num_bins + 1], the histogram's bin edges
  std::vector<double> coverage_values;  // f_i, [n]
  double atc = 0.0;
  double ks_pvalue = 1.0;
};

// U(min θ, max θ) per dimension, [n, d] float64, from a core Generator(seed).
Tensor tarp_references(const Tensor& theta_true, uint64_t seed);

// references undefined: tarp_references(theta_true, options.seed).
TarpResult run_tarp(const Tensor& theta_true, const Tensor& posterior_samples,
                    const Tensor& references = Tensor(), const TarpOptions& options = {});

struct TarpCheck {
  double atc = 0.0, ks_pvalue = 1.0;
};
TarpCheck check_tarp(const std::vector<double>& ecp, const std::vector<double>& alpha);

}  // namespace amor::sbi

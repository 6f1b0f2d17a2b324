// Expected coverage: over n simulations (θ_i ~ prior, x_i ~ simulator), how often does the
// posterior's credible region at level α contain the true θ_i? A calibrated posterior covers
// with frequency α at every α; below the diagonal means over-confident (regions too small),
// above means under-confident. Sample-based, in two flavours:
//
// - HPD (sbi's expected coverage: run_sbc with reduce_fns = posterior.log_prob): rank
//   r_i = #{l : log q(θ_il | x_i) < log q(θ_i | x_i)} over L posterior samples; the posterior
//   mass with density above the truth's is estimated by q_i = (L - r_i + 0.5) / (L + 1), and
//   θ_i lies in the α highest-density region iff q_i <= α. Needs log-densities, is
//   multivariate, and catches any mis-shape of the joint.
// - central (per parameter, samples only): with r_ij = #{l : θ_ilj < θ_ij} and
//   u = (r_ij + 0.5) / (L + 1), θ_ij lies in the central α interval iff |u - 1/2| <= α/2.
//
// check_coverage tests every level: under calibration the covered count is Binomial(n, α),
// and a level fails when its two-sided binomial p-value is below alpha / (number of levels).
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace amor::sbi {

struct CoverageCurve {
  std::vector<double> levels;    // credibility levels α
  std::vector<double> coverage;  // fraction of simulations covered at each level
  int64_t num_simulations = 0;
};

// 0.05, 0.10, ..., 0.95.
std::vector<double> default_credibility_levels();

// truth_log_prob: [n] log q(θ_i | x_i); samples_log_prob: [n, L] log q(θ_il | x_i).
CoverageCurve expected_coverage_hpd(const Tensor& truth_log_prob, const Tensor& samples_log_prob,
                                    const std::vector<double>& levels = default_credibility_levels());

// theta_true: [n, d]; posterior_samples: [n, L, d]. One curve per parameter.
std::vector<CoverageCurve> expected_coverage_central(
    const Tensor& theta_true, const Tensor& posterior_samples,
    const std::vector<double>& levels = default_credibility_levels());

struct CoverageCheck {
  bool passed = false;
  std::vector<double> pvalue;        // per level, two-sided binomial
  std::vector<double> lower, upper;  // per level: the accepted coverage range at alpha/levels
};
CoverageCheck check_coverage(const CoverageCurve& curve, double alpha = 0.05);

}  // namespace amor::sbi

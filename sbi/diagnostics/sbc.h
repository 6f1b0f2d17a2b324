// Simulation-based calibration (SBC; Talts et al. 2018): for n simulations
// θ_i ~ prior, x_i ~ simulator(θ_i), draw L posterior samples given x_i and count how many fall
// below θ_i, per parameter. If the posterior is exact, each rank is uniform on {0, …, L}; a
// ∪-shaped rank histogram means an over-confident posterior, ∩-shaped under-confident, a slope
// a biased one.
//
// Shapes: theta_true [n, d]; posterior_samples [n, L, d] (BayesFlow's (datasets, draws,
// variables); sbi's run_sbc stores [L, n, d]). Ranks are int64 [n, d].
//
// Uniformity tests per parameter:
// - KS: fractional ranks u = (r + 0.5)/(L + 1) against U(0, 1) (mid-point, so the discrete
//   ranks carry at most 0.5/(L+1) bias; sbi compares r with U(0, L)), exact p-value
//   (special::ks_one_sample_sf);
// - chi-square on B bins of the rank values 0..L (bin of r = ⌊r·B/(L+1)⌋, expected counts from
//   the number of rank values per bin), B - 1 degrees of freedom; default B = min(20, L + 1,
//   ⌊n/5⌋) so that every bin expects >= 5 counts;
// - ECDF with simultaneous bands (Säilynoja, Bürkner & Vehtari 2022; BayesFlow's
//   calibration_ecdf): see sbi/diagnostics/ecdf_bands.h.
// check_sbc combines them into a pass/fail verdict (Bonferroni over parameters and tests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/diagnostics/ecdf_bands.h"

namespace amor::sbi {

// Ranks r[i, j] = #{l : posterior_samples[i, l, j] < theta_true[i, j]}, int64 [n, d].
Tensor sbc_ranks(const Tensor& theta_true, const Tensor& posterior_samples);

struct RankUniformity {
  int64_t num_bins = 0;
  std::vector<double> ks_statistic, ks_pvalue;      // per parameter
  std::vector<double> chi2_statistic, chi2_pvalue;  // per parameter
};

// ranks: int64 [n, d] with values in 0..L; num_bins = 0 picks the default above.
RankUniformity rank_uniformity(const Tensor& ranks, int64_t num_posterior_samples,
                               int64_t num_bins = 0);

// The ECDF of the fractional ranks minus the uniform CDF, with the simultaneous band, per
// parameter: what BayesFlow plots with calibration_ecdf(difference=True).
struct EcdfDifference {
  EcdfBands bands;                       // z, lower, upper (band of F(z)), gamma
  std::vector<std::vector<double>> diff;  // [d][K]: F_j(z_k) - z_k
  std::vector<double> log_gamma;          // [d]: log(γ_obs / γ_band); < 0 leaves the band
  std::vector<bool> inside;               // [d]: the ECDF stays inside the band everywhere
};
EcdfDifference sbc_ecdf_difference(const Tensor& ranks, int64_t num_posterior_samples,
                                   const EcdfBandOptions& options = {});

struct SbcCheckOptions {
  double alpha = 0.05;    // family-wise level; each of the 3·d tests is made at alpha / (3d)
  int64_t num_bins = 0;   // chi-square bins (0: default)
  uint64_t seed = 0;      // for the simulated ECDF band
  int64_t num_simulations = 0;  // for the ECDF band; 0: max(1000, 100 / (alpha/d))
};

struct SbcCheck {
  bool passed = false;
  std::vector<bool> parameter_passed;  // [d]
  RankUniformity uniformity;
  EcdfDifference ecdf;
  std::string summary() const;  // one line per parameter
};

// A parameter passes when its KS and chi-square p-values are both >= alpha/(3d) and its ECDF
// stays inside the simultaneous (1 - alpha/(3d)) band; the check passes when every parameter
// does, so an exact posterior fails with probability at most alpha (Bonferroni).
SbcCheck check_sbc(const Tensor& ranks, int64_t num_posterior_samples,
                   const SbcCheckOptions& options = {});

}  // namespace amor::sbi

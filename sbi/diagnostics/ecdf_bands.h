// Simultaneous confidence bands for the ECDF of N uniform draws (Säilynoja, Bürkner & Vehtari
// 2022, "Graphical test for discrete uniformity…", Sec. 2.2, the simulation method), as
// BayesFlow's simultaneous_ecdf_bands computes them.
//
// At K evaluation points z_k = linspace(eps, 1 - eps, K), a band per point is
// [binom.ppf(γ/2; N, z_k), binom.ppf(1 - γ/2; N, z_k)] / N. The per-point level γ is chosen so
// the band holds *simultaneously* with probability `confidence`: simulate M sets of N uniforms;
// for each, γ_m = 2·min_k min(P(Bin(N, z_k) <= c_k), P(Bin(N, z_k) >= c_k)) where
// c_k = #{draws <= z_k}; γ is the (1 - confidence) quantile of the γ_m (numpy percentile,
// linear interpolation). The same statistic of an observed sample, log(γ_obs / γ), is
// BayesFlow's calibration_log_gamma: negative when the ECDF leaves the band.
//
// The uniforms come from a core/random.h Generator(seed): deterministic for any thread count.
#pragma once

#include <cstdint>
#include <vector>

namespace amor::sbi {

struct EcdfBandOptions {
  int64_t num_points = 0;         // K; 0: min(N, max_num_points)
  int64_t max_num_points = 1000;
  int64_t num_simulations = 1000;  // M
  double confidence = 0.95;
  double eps = 1e-5;
  uint64_t seed = 0;
  // Explicit evaluation points (ascending, in [0, 1]); when set they replace the linspace above.
  // SBC ranks are discrete: at z_k = k/(L + 1) the count of ranks below k is exactly Bin(N, z_k)
  // under uniformity (jointly a multinomial, as for continuous uniforms), while between those
  // points the discrete ECDF departs from z by up to 1/(L + 1) and the band would reject exact
  // posteriors far more often than 1 − confidence (sbc_ecdf_difference).
  std::vector<double> points;
};

struct EcdfBands {
  int64_t num_samples = 0;  // N
  double confidence = 0.0;
  double gamma = 0.0;       // per-point level that gives simultaneous `confidence`
  std::vector<double> z, lower, upper;  // [K]: band of the ECDF value F(z_k)
};

EcdfBands simultaneous_ecdf_bands(int64_t num_samples, const EcdfBandOptions& options = {});

// γ of a sample of values in [0, 1] at the band's points (smaller = less uniform).
double ecdf_gamma(const std::vector<double>& values, const std::vector<double>& z);

// F(z_k) = fraction of values <= z_k, for sorted or unsorted values.
std::vector<double> ecdf_at(std::vector<double> values, const std::vector<double>& z);

}  // namespace amor::sbi

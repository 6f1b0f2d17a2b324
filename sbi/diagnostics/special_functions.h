// Distribution functions the diagnostics need for their p-values and bands, in float64.
// Written from the standard series / continued-fraction definitions; each is checked against
// scipy values in tests/sbi/test_special_functions.cpp.
#pragma once

#include <cstdint>
#include <vector>

namespace amor::sbi::special {

// Regularized lower / upper incomplete gamma P(a, x), Q(a, x) = 1 - P (a > 0, x >= 0).
double gamma_p(double a, double x);
double gamma_q(double a, double x);
// Regularized incomplete beta I_x(a, b) (a, b > 0, 0 <= x <= 1).
double beta_inc(double a, double b, double x);

// Chi-square survival function P(X² >= x) with k degrees of freedom (scipy chi2.sf).
double chi2_sf(double x, double k);

// Binomial(n, p): P(X <= k) (scipy binom.cdf), P(X >= k) (binom.sf(k - 1)), and the smallest k
// with P(X <= k) >= q (binom.ppf).
double binom_cdf(int64_t k, int64_t n, double p);
double binom_sf_ge(int64_t k, int64_t n, double p);
int64_t binom_ppf(double q, int64_t n, double p);

// Kolmogorov–Smirnov, one sample of size n against a continuous CDF: P(D_n >= d) (scipy
// kstwo.sf). Exact (Marsaglia, Tsang & Wang 2003, matrix power) while that costs < ~2e8 flops
// (n·d up to ~200) and p > ~5e-16 (n·d² <= 18); otherwise their large-deviation formula in the
// far tail (n·d² > 7.24, p < ~1e-6, ~10% relative) and Stephens' corrected Kolmogorov limit
// elsewhere (~1e-3 relative). scipy itself switches to the Pelz–Good approximation for n > 140, so the two
// agree to ~1e-7 relative there.
double ks_one_sample_sf(double d, int64_t n);
// Two-sample KS, P(D >= d) for sample sizes n1, n2, as scipy's ks_2samp (method "auto"):
// exact when max(n1, n2) <= 10000 (n1 == n2: scipy's alternating binomial sum; otherwise the
// lattice-path count of Hodges 1958), falling back like scipy to kstwo.sf(d, round(n1·n2/(n1+n2)))
// when the exact value leaves [0, 1] or the samples are larger.
double ks_two_sample_sf(double d, int64_t n1, int64_t n2);
// scipy.stats.ks_2samp(a, b) (two-sided): D = sup |F_a - F_b| over the pooled values, and
// its p-value from ks_two_sample_sf.
struct KsResult {
  double statistic = 0.0, pvalue = 1.0;
};
KsResult ks_2samp(std::vector<double> a, std::vector<double> b);
// The Kolmogorov distribution's survival function, P(K >= x) = 2 Σ (-1)^(k-1) exp(-2k²x²).
double kolmogorov_sf(double x);

}  // namespace amor::sbi::special

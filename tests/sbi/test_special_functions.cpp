// Special functions of the diagnostics against scipy 1.17 values.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "sbi/diagnostics/special_functions.h"

namespace amor::sbi::special {
namespace {

// Relative tolerance: the series and continued fractions stop at 1e-16 per step; 1e-12 leaves
// room for the exp/lgamma prefactors while catching any real mistake.
void expect_rel(double got, double want, double rel = 1e-12) {
  EXPECT_NEAR(got, want, rel * std::fabs(want)) << "got " << got << ", want " << want;
}

TEST(SpecialFunctions, IncompleteGamma) {
  expect_rel(gamma_p(2.5, 1.7), 0.36143007689620493);
  expect_rel(gamma_q(2.5, 1.7), 0.6385699231037951);
  expect_rel(gamma_q(30, 55.0), 8.854783047068032e-05, 1e-10);
  expect_rel(gamma_p(0.5, 1e-3), 0.035670591729679894);
  EXPECT_EQ(gamma_p(3.0, 0.0), 0.0);
  EXPECT_THROW(gamma_p(-1.0, 1.0), ValueError);
}

TEST(SpecialFunctions, IncompleteBeta) {
  expect_rel(beta_inc(2.0, 3.0, 0.4), 0.5248);
  expect_rel(beta_inc(50.5, 20.0, 0.8), 0.9490089167284206);
  expect_rel(beta_inc(0.5, 0.5, 0.01), 0.06376856085851985);
  EXPECT_THROW(beta_inc(1.0, 1.0, 1.5), ValueError);
}

TEST(SpecialFunctions, ChiSquareAndBinomial) {
  expect_rel(chi2_sf(25.3, 19), 0.15090251154421397);
  expect_rel(chi2_sf(3.0, 1), 0.08326451666355042);
  expect_rel(chi2_sf(150.0, 99), 0.0007204453957169282, 1e-10);
  expect_rel(binom_cdf(3, 10, 0.4), 0.3822806016);
  expect_rel(binom_cdf(450, 1000, 0.5), 0.0008652680424881513, 1e-10);
  expect_rel(binom_sf_ge(550, 1000, 0.5), 0.0008652680424881513, 1e-10);
  expect_rel(binom_cdf(0, 50, 0.1), 0.0051537752073201135);
  EXPECT_EQ(binom_ppf(0.025, 1000, 0.3), 272);
  EXPECT_EQ(binom_ppf(0.975, 1000, 0.3), 329);
  EXPECT_EQ(binom_ppf(1e-6, 200, 0.01), 0);
  EXPECT_EQ(binom_ppf(0.5, 7, 0.5), 3);
  EXPECT_EQ(binom_ppf(0.0, 7, 0.5), -1);
}

TEST(SpecialFunctions, KolmogorovSmirnov) {
  // scipy.stats.kstwo.sf(d, n): exact branch, the large-deviation branch, and n > 100.
  expect_rel(ks_one_sample_sf(0.05, 100), 0.9532159710635725, 1e-10);
  expect_rel(ks_one_sample_sf(0.2, 10), 0.74871904, 1e-10);
  // scipy uses the Pelz–Good approximation for n > 140 (Simard & L'Ecuyer), good to ~1e-7.
  expect_rel(ks_one_sample_sf(0.03, 1000), 0.3226902143914636, 1e-6);
  expect_rel(ks_one_sample_sf(0.6, 5), 0.03008, 1e-9);
  // n·d² = 6.25: still the exact recursion (the far-tail formula starts at n·d² > 7.24).
  expect_rel(ks_one_sample_sf(0.25, 100), 5.408871776434847e-06, 1e-6);
  // Far tail (p ~ 1e-8) still from the exact recursion: 1 - P(D < d) keeps ~1e-8 relative.
  expect_rel(ks_one_sample_sf(0.3, 100), 1.7719869892662917e-08, 1e-6);
  // Far tail beyond the recursion's budget: the large-deviation formula (scipy: 2.65e-11).
  expect_rel(ks_one_sample_sf(0.05, 5000), 2.6523052328711187e-11, 0.2);
  // n = 10000, d = 0.015: Stephens' approximation (the recursion would need m = 301).
  expect_rel(ks_one_sample_sf(0.015, 10000), 0.02199415742419252, 5e-3);
  expect_rel(kolmogorov_sf(0.5), 0.9639452436648751, 1e-12);
  expect_rel(kolmogorov_sf(1.2), 0.11224966667072497, 1e-12);
  expect_rel(kolmogorov_sf(2.0), 0.0006709252557796953, 1e-12);
}

TEST(SpecialFunctions, TwoSampleKs) {
  // scipy.stats.ks_2samp (exact for equal sizes).
  KsResult r = ks_2samp({0.0, 0.1, 0.25, 0.5, 0.6, 0.9, 1.0}, {0.0, 0.2, 0.3, 0.35, 0.8, 0.95, 1.0});
  EXPECT_DOUBLE_EQ(r.statistic, 1.0 / 7.0);
  expect_rel(r.pvalue, 0.9999609537692629);
  // TARP-like arrays: alpha = linspace(0, 1, 11), ecp = [0, (k/10)^2].
  std::vector<double> alpha, ecp{0.0};
  for (int k = 0; k <= 10; ++k) alpha.push_back(k / 10.0);
  for (int k = 1; k <= 10; ++k) ecp.push_back((k / 10.0) * (k / 10.0));
  r = ks_2samp(ecp, alpha);
  EXPECT_NEAR(r.statistic, 3.0 / 11.0, 1e-15);
  expect_rel(r.pvalue, 0.832587690946824);
  // Unequal sizes: scipy's asymptotic fallback.
  r = ks_2samp({0.1, 0.4, 0.5, 0.9}, {0.2, 0.3, 0.6, 0.65, 0.7, 0.95});
  EXPECT_NEAR(r.statistic, 5.0 / 12.0, 1e-15);
  expect_rel(r.pvalue, 0.6952380952380952, 1e-9);
}

}  // namespace
}  // namespace amor::sbi::special

// SBC ranks, uniformity tests, ECDF bands and the pass/fail check, on hand-made ranks and on
// the gaussian_linear analytic posterior (exact, over-confident and biased versions).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/random.h"
#include "sbi/diagnostics/ecdf_bands.h"
#include "sbi/diagnostics/sbc.h"
#include "tests/sbi/gaussian_linear_sbc.h"

namespace amor::sbi {
namespace {

TEST(Sbc, RanksCountSamplesBelowTheTruth) {
  // theta_true [2, 2]; posterior_samples [2, 3, 2].
  const Tensor theta = from_vector(std::vector<double>{0.5, 0.0, -1.0, 2.0}, Shape{2, 2});
  const Tensor samples = from_vector(
      std::vector<double>{0.1, 0.3, 0.9, -0.2, 0.4, 0.0,   // sim 0: rows (θ1, θ2)
                          -2.0, 5.0, -0.5, 1.0, -1.0, 3.0},  // sim 1
      Shape{2, 3, 2});
  const Tensor r = sbc_ranks(theta, samples);
  ASSERT_EQ(r.dtype(), DType::I64);
  // sim 0: θ1 = 0.5 > {0.1, 0.4} -> 2; θ2 = 0 > {-0.2} (0.0 is not below) -> 1.
  // sim 1: θ1 = -1 > {-2} (ties don't count) -> 1; θ2 = 2 > {1} -> 1.
  EXPECT_EQ(r.to_vector<int64_t>(), (std::vector<int64_t>{2, 1, 1, 1}));
  EXPECT_THROW(sbc_ranks(theta, samples.narrow(2, 0, 1)), ShapeError);
}

TEST(Sbc, ChiSquareAndKsOnHandMadeRanks) {
  // L = 3 (ranks 0..3), 8 simulations, 2 bins: {0,1} and {2,3}, each with probability 1/2.
  // Parameter 1: ranks 0,1,2,3,0,1,2,3 -> counts 4/4, chi2 = 0.
  // Parameter 2: all ranks 3 -> counts 0/8, chi2 = (16 + 16)/4 = 8, p = chi2_sf(8, 1).
  std::vector<int64_t> v;
  for (int i = 0; i < 8; ++i) v.insert(v.end(), {i % 4, 3});
  const RankUniformity u = rank_uniformity(from_vector(v, Shape{8, 2}), 3, 2);
  EXPECT_EQ(u.num_bins, 2);
  EXPECT_DOUBLE_EQ(u.chi2_statistic[0], 0.0);
  EXPECT_DOUBLE_EQ(u.chi2_pvalue[0], 1.0);
  EXPECT_DOUBLE_EQ(u.chi2_statistic[1], 8.0);
  EXPECT_NEAR(u.chi2_pvalue[1], 0.004677734981047266, 1e-12);  // scipy chi2.sf(8, 1)
  // KS on fractional ranks (r + 0.5)/4: parameter 2 sits at 0.875, D = 0.875.
  EXPECT_DOUBLE_EQ(u.ks_statistic[1], 0.875);
  // Parameter 1: values 1/8, 3/8, 5/8, 7/8 twice each, D = 1/8.
  EXPECT_DOUBLE_EQ(u.ks_statistic[0], 0.125);
  EXPECT_THROW(rank_uniformity(from_vector(std::vector<int64_t>{4, 0}, Shape{2, 1}), 3),
               ValueError);
}

TEST(Sbc, SimultaneousBandsHaveTheirCoverage) {
  // The band is built for 95% simultaneous coverage of the ECDF of N = 100 uniforms; fresh
  // uniform samples must stay inside it ~95% of the time. 400 fresh samples: sd of the
  // observed rate is 0.011, so [0.91, 0.99] is ±3.6 sd. A pointwise band (γ = 0.05) would
  // cover only ~60% and fail; a too-wide one would exceed 0.99.
  EcdfBandOptions o;
  o.seed = 3;
  const EcdfBands bands = simultaneous_ecdf_bands(100, o);
  ASSERT_EQ(bands.z.size(), 100u);
  EXPECT_LT(bands.gamma, 0.05);  // simultaneous -> each point stricter than 5%
  Generator gen(99);
  int inside = 0;
  const int trials = 400;
  for (int t = 0; t < trials; ++t) {
    const std::vector<double> u = rand(Shape{100}, gen, {.dtype = DType::F64}).to_vector<double>();
    const std::vector<double> F = ecdf_at(u, bands.z);
    bool ok = true;
    for (size_t k = 0; k < F.size(); ++k) ok = ok && F[k] >= bands.lower[k] && F[k] <= bands.upper[k];
    inside += ok;
  }
  EXPECT_GE(inside / double(trials), 0.91);
  EXPECT_LE(inside / double(trials), 0.99);
  // Same seed, same band; a higher confidence gives a wider band.
  const EcdfBands again = simultaneous_ecdf_bands(100, o);
  EXPECT_EQ(again.lower, bands.lower);
  o.confidence = 0.99;
  const EcdfBands wide = simultaneous_ecdf_bands(100, o);
  EXPECT_LT(wide.gamma, bands.gamma);
}

TEST(Sbc, ExactRanksFailAtMostAlphaOfTheTime) {
  // The verdict's family-wise level: uniform discrete ranks (an exact posterior) must fail
  // check_sbc in at most about alpha = 5 % of runs. 60 runs of d = 6, n = 100, L = 30: at 5 %
  // the failures are Bin(60, 0.05) (mean 3; P(> 8) < 0.01). Before the ECDF was evaluated at
  // the rank points k/(L + 1) and the three tests shared alpha by Bonferroni, about 20 % of such
  // runs failed.
  const int64_t n = 100, L = 30, d = 6;
  int failures = 0;
  for (int run = 0; run < 60; ++run) {
    Generator g(500 + uint64_t(run));
    const Tensor ranks = randint(0, L + 1, {n, d}, g);
    failures += !check_sbc(ranks, L, {.seed = uint64_t(run)}).passed;
  }
  EXPECT_LE(failures, 8);
  // The ECDF of discrete ranks is evaluated where it is exact: at k/(L + 1), k = 1..L.
  Generator g(1);
  const SbcCheck one = check_sbc(randint(0, L + 1, {n, d}, g), L);
  ASSERT_EQ(one.ecdf.bands.z.size(), size_t(L));
  EXPECT_DOUBLE_EQ(one.ecdf.bands.z.front(), 1.0 / double(L + 1));
  EXPECT_DOUBLE_EQ(one.ecdf.bands.z.back(), double(L) / double(L + 1));
}

constexpr int64_t kSims = 500, kDraws = 200, kDim = 10;

TEST(Sbc, ExactGaussianLinearPosteriorPasses) {
  // With the exact posterior every rank is uniform: the check at family-wise 5% passes
  // (a false alarm has probability <= 5% for any seed; this seed is fixed).
  const auto run = amor::testing::gaussian_linear_run(kSims, kDraws, kDim, 0.0, 1.0, 1);
  const Tensor ranks = sbc_ranks(run.theta, run.samples);
  const SbcCheck check = check_sbc(ranks, kDraws, {.seed = 1});
  EXPECT_TRUE(check.passed) << check.summary();
  for (double p : check.uniformity.ks_pvalue) EXPECT_GT(p, 0.005);
  for (double lg : check.ecdf.log_gamma) EXPECT_GT(lg, 0.0);
}

TEST(Sbc, OverConfidentPosteriorIsFlagged) {
  // Variance halved: the truth falls in the tails of q too often, ranks pile up at 0 and L.
  const auto run = amor::testing::gaussian_linear_run(kSims, kDraws, kDim, 0.0, 0.5, 2);
  const SbcCheck check = check_sbc(sbc_ranks(run.theta, run.samples), kDraws, {.seed = 2});
  EXPECT_FALSE(check.passed);
  for (int64_t j = 0; j < kDim; ++j) {
    EXPECT_FALSE(check.parameter_passed[size_t(j)]) << "theta_" << j + 1;
    EXPECT_LT(check.uniformity.chi2_pvalue[size_t(j)], 1e-4);
    EXPECT_FALSE(check.ecdf.inside[size_t(j)]);
  }
}

TEST(Sbc, BiasedPosteriorIsFlagged) {
  // Mean shifted by half a posterior sd: ranks drift low (the truth sits below most samples),
  // which KS and the ECDF difference see as a one-sided excursion.
  const auto run = amor::testing::gaussian_linear_run(kSims, kDraws, kDim, 0.5, 1.0, 3);
  const SbcCheck check = check_sbc(sbc_ranks(run.theta, run.samples), kDraws, {.seed = 3});
  EXPECT_FALSE(check.passed);
  for (int64_t j = 0; j < kDim; ++j) {
    EXPECT_LT(check.uniformity.ks_pvalue[size_t(j)], 1e-4) << "theta_" << j + 1;
    // ECDF above the diagonal in the middle: too many small ranks.
    EXPECT_GT(check.ecdf.diff[size_t(j)][check.ecdf.diff[size_t(j)].size() / 2], 0.05);
  }
}

}  // namespace
}  // namespace amor::sbi

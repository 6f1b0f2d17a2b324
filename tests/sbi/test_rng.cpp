// Rng: determinism, and goodness of fit of every draw against independently written CDFs/pmfs.
// Thresholds: χ² at tail probability 1e-4 and KS at 1e-3 (see stat_util.h); moment checks at
// 5 standard errors. Sample sizes (10^5) make a sampler that is off by ~1% in any bin fail.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

#include "sbi/rng.h"
#include "tests/sbi/stat_util.h"

namespace amor::sbi {
namespace {

using test::chi2_critical;
using test::chi2_discrete;
using test::kKsCritical;
using test::ks_scaled;

constexpr int kN = 100000;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

template <class F>
std::vector<double> draw(uint64_t seed, int n, F&& f) {
  std::vector<double> out(static_cast<size_t>(n));
  Rng rng(seed, kUserStreamBase, 0);
  for (auto& v : out) v = double(f(rng));
  return out;
}

template <class F>
std::vector<int64_t> draw_int(uint64_t seed, int n, F&& f) {
  std::vector<int64_t> out(static_cast<size_t>(n));
  Rng rng(seed, kUserStreamBase, 0);
  for (auto& v : out) v = f(rng);
  return out;
}

TEST(Rng, SameTripleSameSequenceDifferentIndexDifferent) {
  Rng a(7, kPriorStream, 3), b(7, kPriorStream, 3), c(7, kPriorStream, 4), d(7, kSimulatorStream, 3);
  bool differs_c = false, differs_d = false;
  for (int i = 0; i < 50; ++i) {
    const double x = a.normal(), y = b.normal(), z = c.normal(), w = d.normal();
    EXPECT_EQ(x, y);
    differs_c |= x != z;
    differs_d |= x != w;
  }
  EXPECT_TRUE(differs_c);
  EXPECT_TRUE(differs_d);
}

TEST(Rng, UniformRangeMomentsAndChi2) {
  const auto u = draw(1, kN, [](Rng& r) { return r.uniform(); });
  std::vector<int64_t> bins;
  for (double v : u) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
    bins.push_back(int64_t(v * 20));
  }
  const auto c = chi2_discrete(bins, [](int64_t) { return 0.05; }, 0, 19);
  EXPECT_LT(c.stat, chi2_critical(c.df));
  const auto ab = draw(2, kN, [](Rng& r) { return r.uniform(-3.0, 5.0); });
  const auto m = test::moments(ab);
  EXPECT_NEAR(m.mean, 1.0, 5 * std::sqrt(64.0 / 12 / kN));
  EXPECT_NEAR(m.var, 64.0 / 12, 0.05);
  for (double v : ab) ASSERT_TRUE(v >= -3.0 && v < 5.0);
}

TEST(Rng, NormalKsAndSpareIndependence) {
  const auto z = draw(3, kN, [](Rng& r) { return r.normal(); });
  EXPECT_LT(ks_scaled(z, test::normal_cdf), kKsCritical);
  // Consecutive values are a Box–Muller pair (cos, sin): they must be uncorrelated, and the
  // squared pair must be exponential-ish: E[z1² z2²] = 1 for independent normals.
  double corr = 0.0, sq = 0.0;
  for (size_t i = 0; i + 1 < z.size(); i += 2) {
    corr += z[i] * z[i + 1];
    sq += z[i] * z[i] * z[i + 1] * z[i + 1];
  }
  corr /= kN / 2;
  sq /= kN / 2;
  EXPECT_NEAR(corr, 0.0, 5.0 / std::sqrt(kN / 2));
  EXPECT_NEAR(sq, 1.0, 5.0 * std::sqrt(8.0 / (kN / 2)));  // Var(z1² z2²) = 9 - 1 = 8
  const auto shifted = draw(3, kN, [](Rng& r) { return r.normal(2.0, 0.5); });
  EXPECT_EQ(shifted[10], 2.0 + 0.5 * z[10]);
}

TEST(Rng, LognormalLogIsNormal) {
  const auto x = draw(4, kN, [](Rng& r) { return r.lognormal(0.3, 1.7); });
  EXPECT_LT(ks_scaled(x, [](double v) { return test::normal_cdf((std::log(v) - 0.3) / 1.7); }), kKsCritical);
}

class RngGamma : public ::testing::TestWithParam<double> {};

TEST_P(RngGamma, KsAgainstIncompleteGammaAndMoments) {
  const double k = GetParam();
  const auto x = draw(5, kN, [k](Rng& r) { return r.gamma(k); });
  for (double v : x) ASSERT_GT(v, 0.0);
  EXPECT_LT(ks_scaled(x, [k](double v) { return test::gamma_cdf(k, v); }), kKsCritical);
  const auto m = test::moments(x);
  EXPECT_NEAR(m.mean, k, 5 * std::sqrt(k / kN));
  EXPECT_NEAR(m.var, k, 5 * std::sqrt((2 * k * k + 6 * k) / kN));  // Var(s²) = μ4 - σ⁴, μ4 = 3k² + 6k
}

INSTANTIATE_TEST_SUITE_P(Shapes, RngGamma, ::testing::Values(0.3, 1.0, 7.0));

TEST(Rng, GammaInvalidShapes) {
  Rng r(1, kUserStreamBase, 0);
  EXPECT_TRUE(std::isnan(r.gamma(0.0)));
  EXPECT_TRUE(std::isnan(r.gamma(-1.0)));
  EXPECT_TRUE(std::isnan(r.gamma(kNaN)));
  EXPECT_EQ(r.gamma(kInf), kInf);
}

TEST(Rng, BetaArcsineKsAndMoments) {
  // Beta(1/2, 1/2) is the arcsine law: F(x) = (2/π) asin(√x).
  const auto x = draw(6, kN, [](Rng& r) { return r.beta(0.5, 0.5); });
  EXPECT_LT(ks_scaled(x, [](double v) { return 2.0 / std::numbers::pi * std::asin(std::sqrt(v)); }),
            kKsCritical);
  const auto y = draw(7, kN, [](Rng& r) { return r.beta(2.0, 5.0); });
  const auto m = test::moments(y);
  const double var = 2.0 * 5.0 / (49.0 * 8.0);
  EXPECT_NEAR(m.mean, 2.0 / 7.0, 5 * std::sqrt(var / kN));
  EXPECT_NEAR(m.var, var, 0.02 * var + 5 * var * std::sqrt(2.0 / kN));
  // Tiny shapes: both gamma draws underflow to 0, yet the result stays in [0, 1] with mean a/(a+b).
  const auto t = draw(8, kN, [](Rng& r) { return r.beta(1e-3, 3e-3); });
  double mean = 0.0;
  for (double v : t) {
    ASSERT_TRUE(v >= 0.0 && v <= 1.0) << v;
    mean += v;
  }
  EXPECT_NEAR(mean / kN, 0.25, 5 * std::sqrt(0.25 * 0.75 / kN));
  Rng r(1, kUserStreamBase, 0);
  EXPECT_TRUE(std::isnan(r.beta(0.0, 1.0)));
  EXPECT_TRUE(std::isnan(r.beta(1.0, kNaN)));
}

TEST(Rng, StudentTCauchyAndDf3Ks) {
  const auto c = draw(9, kN, [](Rng& r) { return r.student_t(1.0); });
  EXPECT_LT(ks_scaled(c, [](double v) { return 0.5 + std::atan(v) / std::numbers::pi; }), kKsCritical);
  const auto t3 = draw(10, kN, [](Rng& r) { return r.student_t(3.0); });
  const double s3 = std::sqrt(3.0);
  EXPECT_LT(ks_scaled(t3, [s3](double v) {
              return 0.5 + (v / (s3 * (1 + v * v / 3)) + std::atan(v / s3)) / std::numbers::pi;
            }),
            kKsCritical);
  Rng r(1, kUserStreamBase, 0);
  EXPECT_TRUE(std::isnan(r.student_t(0.0)));
  EXPECT_TRUE(std::isfinite(r.student_t(kInf)));
}

TEST(Rng, BernoulliFrequencyAndEdges) {
  const auto b = draw(11, kN, [](Rng& r) { return r.bernoulli(0.3); });
  double s = 0;
  for (double v : b) s += v;
  EXPECT_NEAR(s / kN, 0.3, 5 * std::sqrt(0.21 / kN));
  Rng r(1, kUserStreamBase, 0);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(r.bernoulli(0.0));
    EXPECT_TRUE(r.bernoulli(1.0));
    EXPECT_FALSE(r.bernoulli(kNaN));
  }
}

TEST(Rng, RandintUniformAndUnbiased) {
  const auto x = draw_int(12, kN, [](Rng& r) { return r.randint(-3, 4); });
  const auto c = chi2_discrete(x, [](int64_t) { return 1.0 / 7.0; }, -3, 3);
  EXPECT_LT(c.stat, chi2_critical(c.df));
  // range = 3·2^62: a modulo-biased sampler (x mod range) would put 1/2 of the mass in the first
  // third of the range instead of 1/3.
  const int64_t lo = std::numeric_limits<int64_t>::min();
  const int64_t hi = lo + int64_t(3) * (int64_t(1) << 61);  // range 3·2^61
  const auto y = draw_int(13, kN, [lo, hi](Rng& r) { return r.randint(lo, hi); });
  double first_third = 0;
  for (int64_t v : y) {
    ASSERT_TRUE(v >= lo && v < hi);
    first_third += v < lo + (int64_t(1) << 61);
  }
  EXPECT_NEAR(first_third / kN, 1.0 / 3.0, 5 * std::sqrt(2.0 / 9.0 / kN));
  Rng r(1, kUserStreamBase, 0);
  EXPECT_EQ(r.randint(5, 5), 5);
  EXPECT_EQ(r.randint(5, 2), 5);
  const int64_t full = r.randint(lo, std::numeric_limits<int64_t>::max());
  EXPECT_LT(full, std::numeric_limits<int64_t>::max());
}

class RngBinomial : public ::testing::TestWithParam<double> {};

TEST_P(RngBinomial, Chi2AgainstExactPmfAtN1000) {
  const double p = GetParam();
  const int64_t n = 1000;
  const auto x = draw_int(14, kN, [p](Rng& r) { return r.binomial(1000, p); });
  const auto c = chi2_discrete(x, [p](int64_t k) { return test::binomial_pmf(1000, p, k); }, 0, n);
  EXPECT_LT(c.stat, chi2_critical(c.df)) << "p = " << p << ", df = " << c.df;
  std::vector<double> xd(x.begin(), x.end());
  const auto m = test::moments(xd);
  EXPECT_NEAR(m.mean, n * p, 5 * std::sqrt(n * p * (1 - p) / kN));
}

// 1e-3 and a small n·p run inversion; 0.05, 0.5 and 0.97 (via n - Binomial(n, 0.03)) run BTRS.
INSTANTIATE_TEST_SUITE_P(Probabilities, RngBinomial, ::testing::Values(1e-3, 0.05, 0.5, 0.97));

TEST(Rng, BinomialSmallNAndHugeN) {
  const auto x = draw_int(15, kN, [](Rng& r) { return r.binomial(7, 0.35); });
  const auto c = chi2_discrete(x, [](int64_t k) { return test::binomial_pmf(7, 0.35, k); }, 0, 7);
  EXPECT_LT(c.stat, chi2_critical(c.df));
  // n = 10^12: exact sampling must still be O(1) and have the right mean and variance.
  const double n = 1e12, p = 0.3;
  const auto y = draw_int(16, 20000, [](Rng& r) { return r.binomial(1000000000000, 0.3); });
  std::vector<double> yd(y.begin(), y.end());
  const auto m = test::moments(yd);
  const double var = n * p * (1 - p);
  EXPECT_NEAR(m.mean, n * p, 5 * std::sqrt(var / 20000));
  EXPECT_NEAR(m.var / var, 1.0, 5 * std::sqrt(2.0 / 20000));
}

TEST(Rng, BinomialEdgeCasesAndInvalid) {
  Rng r(1, kUserStreamBase, 0);
  EXPECT_EQ(r.binomial(0, 0.5), 0);
  EXPECT_EQ(r.binomial(100, 0.0), 0);
  EXPECT_EQ(r.binomial(100, 1.0), 100);
  EXPECT_EQ(r.binomial(-1, 0.5), -1);
  EXPECT_EQ(r.binomial(10, kNaN), -1);
  EXPECT_EQ(r.binomial(10, -0.1), -1);
  EXPECT_EQ(r.binomial(10, 1.1), -1);
  EXPECT_EQ(r.binomial(std::numeric_limits<int64_t>::max(), 0.5), -1);
  for (int i = 0; i < 1000; ++i) {
    const int64_t k = r.binomial(40, 0.999);
    ASSERT_TRUE(k >= 0 && k <= 40);
  }
}

class RngPoisson : public ::testing::TestWithParam<double> {};

TEST_P(RngPoisson, Chi2AgainstPmf) {
  const double rate = GetParam();
  const auto x = draw_int(17, kN, [rate](Rng& r) { return r.poisson(rate); });
  const int64_t hi = int64_t(rate + 20 * std::sqrt(rate) + 30);
  const auto c = chi2_discrete(x, [rate](int64_t k) { return test::poisson_pmf(rate, k); }, 0, hi);
  EXPECT_LT(c.stat, chi2_critical(c.df)) << "rate = " << rate;
}

// 0.5 and 3 run inversion; 25 and 1000 run PTRS.
INSTANTIATE_TEST_SUITE_P(Rates, RngPoisson, ::testing::Values(0.5, 3.0, 25.0, 1000.0));

TEST(Rng, PoissonEdgeCases) {
  Rng r(1, kUserStreamBase, 0);
  EXPECT_EQ(r.poisson(0.0), 0);
  EXPECT_EQ(r.poisson(-1.0), -1);
  EXPECT_EQ(r.poisson(kNaN), -1);
  EXPECT_EQ(r.poisson(kInf), -1);
}

TEST(Rng, CategoricalUnnormalisedWithZeros) {
  const std::vector<double> w = {2.0, 0.0, 5.0, 1.0, 0.0, 2.0};
  const auto x = draw_int(18, kN, [&w](Rng& r) { return r.categorical(w.data(), int64_t(w.size())); });
  for (int64_t v : x) ASSERT_TRUE(v != 1 && v != 4) << "drew a zero-weight index";
  const auto c = chi2_discrete(x, [&w](int64_t k) { return w[size_t(k)] / 10.0; }, 0, 5);
  EXPECT_LT(c.stat, chi2_critical(c.df));
  Rng r(1, kUserStreamBase, 0);
  const std::vector<double> zeros = {0.0, 0.0}, neg = {1.0, -1.0}, nan = {1.0, kNaN};
  EXPECT_EQ(r.categorical(zeros.data(), 2), -1);
  EXPECT_EQ(r.categorical(neg.data(), 2), -1);
  EXPECT_EQ(r.categorical(nan.data(), 2), -1);
  EXPECT_EQ(r.categorical(w.data(), 0), -1);
}

}  // namespace
}  // namespace amor::sbi

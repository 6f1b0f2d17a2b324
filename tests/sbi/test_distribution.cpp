// Distributions: log_prob against closed forms, normalisation, sample moments against the
// analytic mean/variance, thread-count independence, shape/dtype errors, argument validation.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sbi/distribution.h"

namespace amor::sbi {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kLog2Pi = std::log(2.0 * std::numbers::pi);

double lp(const Distribution& d, std::vector<double> x) {
  return d.log_prob(from_vector<double>(x, {1, int64_t(x.size())})).item<double>();
}

// Runs `f` and returns the message of the ValueError it must throw.
template <class F>
std::string value_error(F&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected ValueError";
  return {};
}

TEST(Distribution, BoxUniformLogProbSupportAndMoments) {
  const auto d = box_uniform({-1.0, 0.0}, {1.0, 4.0});
  EXPECT_EQ(d->dim(), 2);
  EXPECT_NEAR(lp(*d, {0.3, 2.0}), -std::log(8.0), 1e-15);
  EXPECT_NEAR(lp(*d, {-1.0, 4.0}), -std::log(8.0), 1e-15);  // closed box
  EXPECT_EQ(lp(*d, {1.5, 2.0}), -kInf);
  EXPECT_EQ(lp(*d, {kNaN, 2.0}), -kInf);
  const Support s = d->support();
  EXPECT_TRUE(s.bounded());
  const double inside[2] = {0.0, 1.0}, nan[2] = {kNaN, 1.0};
  EXPECT_TRUE(s.contains(inside));
  EXPECT_FALSE(s.contains(nan));
  const Tensor x = d->sample(1000, 3);
  const double* px = x.data<double>();
  for (int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(s.contains(px + 2 * i));
}

TEST(Distribution, UnboundedSupportByDefault) {
  const auto d = diag_normal({0.0}, {1.0});
  EXPECT_FALSE(d->support().bounded());
}

TEST(Distribution, DiagNormalLogProbClosedForm) {
  const auto d = diag_normal({1.0, -2.0}, {0.5, 3.0});
  const double x0 = 0.2, x1 = 1.0;
  const double want = -kLog2Pi - std::log(0.5 * 3.0) - 0.5 * (std::pow((x0 - 1) / 0.5, 2) + std::pow((x1 + 2) / 3.0, 2));
  EXPECT_NEAR(lp(*d, {x0, x1}), want, 1e-13);
  EXPECT_EQ(lp(*d, {kInf, 0.0}), -kInf);
}

TEST(Distribution, MultivariateNormalLogProbAndCovariance) {
  const std::vector<std::vector<double>> cov = {{2.0, 0.6}, {0.6, 0.5}};
  const auto d = multivariate_normal({1.0, -1.0}, cov);
  // Closed form with the explicit 2x2 inverse and determinant.
  const double det = 2.0 * 0.5 - 0.36;
  const double dx = 0.4 - 1.0, dy = 0.3 + 1.0;
  const double q = (0.5 * dx * dx - 2 * 0.6 * dx * dy + 2.0 * dy * dy) / det;
  EXPECT_NEAR(lp(*d, {0.4, 0.3}), -kLog2Pi - 0.5 * std::log(det) - 0.5 * q, 1e-13);
  // Sample covariance: 5 standard errors (SE of a covariance ~ sqrt((s_xx s_yy + s_xy²) / n)).
  const int64_t n = 40000;
  const auto v = d->sample(n, 11).to_vector<double>();
  double mx = 0, my = 0;
  for (int64_t i = 0; i < n; ++i) mx += v[size_t(2 * i)], my += v[size_t(2 * i + 1)];
  mx /= double(n), my /= double(n);
  double sxy = 0;
  for (int64_t i = 0; i < n; ++i) sxy += (v[size_t(2 * i)] - mx) * (v[size_t(2 * i + 1)] - my);
  sxy /= double(n - 1);
  EXPECT_NEAR(sxy, 0.6, 5 * std::sqrt((2.0 * 0.5 + 0.36) / double(n)));
}

TEST(Distribution, LogNormalAndGammaLogProbClosedForm) {
  const auto ln = log_normal({0.5}, {0.8});
  const double x = 1.7;
  EXPECT_NEAR(lp(*ln, {x}),
              -std::log(x) - std::log(0.8) - 0.5 * kLog2Pi - std::pow(std::log(x) - 0.5, 2) / (2 * 0.64), 1e-13);
  EXPECT_EQ(lp(*ln, {0.0}), -kInf);
  EXPECT_EQ(lp(*ln, {-1.0}), -kInf);
  const auto g = gamma_distribution({2.5, 1.0, 0.5}, {1.5, 2.0, 1.0});
  const double want = (2.5 * std::log(1.5) - std::lgamma(2.5) + 1.5 * std::log(0.7) - 1.5 * 0.7) +
                      (std::log(2.0) - 2.0 * 0.3) +
                      (-std::lgamma(0.5) - 0.5 * std::log(1.2) - 1.2);
  EXPECT_NEAR(lp(*g, {0.7, 0.3, 1.2}), want, 1e-13);
  EXPECT_EQ(lp(*g, {-0.1, 0.3, 1.0}), -kInf);
  EXPECT_EQ(lp(*gamma_distribution({3.0}, {1.0}), {0.0}), -kInf);
  EXPECT_NEAR(lp(*gamma_distribution({1.0}, {2.0}), {0.0}), std::log(2.0), 1e-15);
}

// ∫ p = 1 by a fine midpoint rule for the 1-D families (errors ~1e-6 at this grid; a wrong
// normaliser, e.g. a missing log Γ(k) or σ, is off by far more than the 1e-4 tolerance).
TEST(Distribution, OneDimensionalDensitiesIntegrateToOne) {
  struct Case {
    DistributionPtr d;
    double lo, hi;
  };
  const std::vector<Case> cases = {{diag_normal({0.3}, {0.7}), -10, 10},
                                   {log_normal({0.1}, {0.5}), 0, 40},
                                   {gamma_distribution({3.5}, {2.0}), 0, 40},
                                   {box_uniform({-2.0}, {0.5}), -3, 1}};
  for (const auto& c : cases) {
    const int64_t m = 400000;
    const double h = (c.hi - c.lo) / double(m);
    std::vector<double> grid(static_cast<size_t>(m));
    for (int64_t i = 0; i < m; ++i) grid[size_t(i)] = c.lo + (double(i) + 0.5) * h;
    const auto l = c.d->log_prob(from_vector<double>(grid, {m, 1})).to_vector<double>();
    double total = 0;
    for (double v : l) total += std::exp(v) * h;
    EXPECT_NEAR(total, 1.0, 1e-4) << c.d->name();
  }
}

// Monte-Carlo normalisation in 2-D: E_q[p / q] = 1 for q uniform on a box holding ~all the mass.
TEST(Distribution, MultivariateDensitiesIntegrateToOneMonteCarlo) {
  const auto box = box_uniform({-8.0, -8.0}, {8.0, 8.0});
  const Tensor pts = box->sample(200000, 5);
  for (const auto& d : {multivariate_normal({0.5, -0.5}, {{1.0, 0.7}, {0.7, 2.0}}),
                        product({diag_normal({0.0}, {1.0}), gamma_distribution({2.5}, {1.0})})}) {
    const auto l = d->log_prob(pts).to_vector<double>();
    double s = 0, s2 = 0;
    for (double v : l) {
      const double w = std::exp(v) * 256.0;
      s += w;
      s2 += w * w;
    }
    const double n = double(l.size()), mean = s / n;
    const double se = std::sqrt((s2 / n - mean * mean) / n);
    EXPECT_NEAR(mean, 1.0, 5 * se + 1e-3) << d->name();
  }
}

TEST(Distribution, SampleMomentsMatchAnalytic) {
  const std::vector<DistributionPtr> ds = {
      box_uniform({0.0, -5.0}, {1.0, 5.0}), diag_normal({1.0, 2.0}, {0.1, 3.0}),
      multivariate_normal({0.0, 1.0}, {{1.0, -0.3}, {-0.3, 0.4}}), log_normal({0.0, 1.0}, {0.3, 0.5}),
      gamma_distribution({2.0, 7.0}, {1.0, 0.5}),
      product({box_uniform({0.0}, {2.0}), diag_normal({3.0}, {1.0})})};
  const int64_t n = 40000;
  for (const auto& d : ds) {
    const auto mean = d->mean(), var = d->variance();
    ASSERT_EQ(int64_t(mean.size()), d->dim()) << d->name();
    ASSERT_EQ(int64_t(var.size()), d->dim()) << d->name();
    const auto v = d->sample(n, 21).to_vector<double>();
    for (int64_t j = 0; j < d->dim(); ++j) {
      double m = 0, s = 0;
      for (int64_t i = 0; i < n; ++i) m += v[size_t(i * d->dim() + j)];
      m /= double(n);
      for (int64_t i = 0; i < n; ++i) s += std::pow(v[size_t(i * d->dim() + j)] - m, 2);
      s /= double(n - 1);
      EXPECT_NEAR(m, mean[size_t(j)], 5 * std::sqrt(var[size_t(j)] / double(n))) << d->name() << " axis " << j;
      // 5% relative: ≥ 3 standard errors of s² for every family here (excess kurtosis <= 9).
      EXPECT_NEAR(s / var[size_t(j)], 1.0, 0.05) << d->name() << " axis " << j;
    }
  }
}

TEST(Distribution, SampleIsThreadCountIndependentAndIndexed) {
  const auto d = product({multivariate_normal({0.0, 1.0}, {{1.0, 0.2}, {0.2, 1.0}}), gamma_distribution({0.4}, {1.0})});
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = d->sample(20000, 99).to_vector<double>();
  omp_set_num_threads(2);
  const auto two = d->sample(20000, 99).to_vector<double>();
  omp_set_num_threads(saved);
  EXPECT_EQ(one, two);
  // first_index shifts the rows: rows 5.. of a batch from 0 equal a batch started at 5.
  const auto tail = d->sample(10, 99, 5).to_vector<double>();
  EXPECT_EQ(tail, std::vector<double>(one.begin() + 15, one.begin() + 45));
  EXPECT_NE(d->sample(10, 100).to_vector<double>(), std::vector<double>(one.begin(), one.begin() + 30));
}

TEST(Distribution, LogProbAcceptsFloat32AndChecksShape) {
  const auto d = diag_normal({0.0, 0.0}, {1.0, 1.0});
  const Tensor x32 = from_vector<float>({0.5f, -0.25f, 1.0f, 2.0f}, {2, 2});
  const auto l = d->log_prob(x32);
  EXPECT_EQ(l.dtype(), DType::F64);
  EXPECT_EQ(l.shape(), Shape({2}));
  EXPECT_NEAR(l.to_vector<double>()[0], -kLog2Pi - 0.5 * (0.25 + 0.0625), 1e-12);
  EXPECT_THROW(d->log_prob(zeros({3, 3}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(d->log_prob(zeros({2}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(d->log_prob(zeros({2, 2}, {.dtype = DType::I64})), DTypeError);
  // Non-contiguous input: a transposed view.
  const Tensor t = from_vector<double>({0.5, 1.0, -0.25, 2.0}, {2, 2}).t();
  EXPECT_NEAR(d->log_prob(t).to_vector<double>()[0], -kLog2Pi - 0.5 * (0.25 + 0.0625), 1e-12);
  EXPECT_THROW(d->sample(-1, 0), ValueError);
  EXPECT_EQ(d->sample(0, 0).shape(), Shape({0, 2}));
}

TEST(Distribution, ProductConcatenates) {
  const auto p = product({box_uniform({0.0}, {2.0}), diag_normal({1.0, 2.0}, {1.0, 1.0})});
  EXPECT_EQ(p->dim(), 3);
  EXPECT_NE(p->name().find("box_uniform"), std::string::npos);
  EXPECT_NEAR(lp(*p, {1.0, 1.0, 2.0}), -std::log(2.0) - kLog2Pi, 1e-13);
  EXPECT_EQ(lp(*p, {3.0, 1.0, 2.0}), -kInf);
  const Support s = p->support();
  ASSERT_EQ(s.lower.size(), 3u);
  EXPECT_EQ(s.upper[0], 2.0);
  EXPECT_EQ(s.upper[1], kInf);
}

TEST(Distribution, FactoriesValidateArguments) {
  EXPECT_NE(value_error([] { box_uniform({0.0, 1.0}, {1.0, 1.0}); }).find("box_uniform"), std::string::npos);
  EXPECT_NE(value_error([] { box_uniform({0.0, 1.0}, {1.0, 1.0}); }).find("lower[1]"), std::string::npos);
  value_error([] { box_uniform({0.0}, {1.0, 2.0}); });
  value_error([] { box_uniform({}, {}); });
  value_error([] { box_uniform({-kInf}, {0.0}); });
  EXPECT_NE(value_error([] { diag_normal({0.0}, {-1.0}); }).find("std[0]"), std::string::npos);
  value_error([] { diag_normal({kNaN}, {1.0}); });
  EXPECT_NE(value_error([] { multivariate_normal({0.0, 0.0}, {{1.0, 2.0}, {2.0, 1.0}}); }).find("positive definite"),
            std::string::npos);
  EXPECT_NE(value_error([] { multivariate_normal({0.0, 0.0}, {{1.0, 0.5}, {0.1, 1.0}}); }).find("symmetric"),
            std::string::npos);
  value_error([] { multivariate_normal({0.0, 0.0}, {{1.0, 0.0}}); });
  value_error([] { multivariate_normal({0.0}, {{0.0}}); });
  value_error([] { log_normal({0.0}, {0.0}); });
  EXPECT_NE(value_error([] { gamma_distribution({1.0, -2.0}, {1.0, 1.0}); }).find("gamma_distribution"),
            std::string::npos);
  value_error([] { gamma_distribution({1.0}, {kInf}); });
  value_error([] { product({}); });
  value_error([] { product({nullptr}); });
}

}  // namespace
}  // namespace amor::sbi

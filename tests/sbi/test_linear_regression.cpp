// The BayesFlow linear-regression model (sbi/tasks/linear_regression.h): N constant within a
// batch and varying across batches in 5..14; the prior's moments; y's conditional mean and
// variance given (beta, sigma).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "core/error.h"
#include "sbi/tasks/linear_regression.h"

namespace amor::sbi {
namespace {

// Monte-Carlo bounds are 5 standard errors: a correct model fails one of these checks with
// probability < 1e-5 (and the seeds are fixed); the errors they are meant to catch (a variance
// used as a std, a missing intercept, the wrong prior scale) move a statistic by 20+ SE.
constexpr double kSe = 5.0;

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / double(v.size());
}

double var(const std::vector<double>& v) {
  const double m = mean(v);
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return s / double(v.size() - 1);
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = mean(a), mb = mean(b);
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - ma) * (b[i] - mb);
  return s / double(a.size() - 1) / std::sqrt(var(a) * var(b));
}

TEST(LinearRegressionModel, NIsConstantWithinABatchAndVariesAcrossBatches) {
  const GenerativeModel model = tasks::linear_regression_model();
  std::set<int64_t> seen;
  for (uint64_t k = 0; k < 200; ++k) {
    const Batch b = model.sample(8, 3, k, /*num_threads=*/1);  // tiny batches: no thread pool
    const auto n = int64_t(b.meta.scalar("N"));
    ASSERT_GE(n, 5);
    ASSERT_LE(n, 14);
    seen.insert(n);
    for (double v : b.at("N").to_vector<double>()) ASSERT_EQ(v, double(n));
    ASSERT_EQ(b.at("x").shape(), Shape({8, n}));
    ASSERT_EQ(b.at("y").shape(), Shape({8, n}));
    ASSERT_EQ(b.at("beta").shape(), Shape({8, 2}));
    ASSERT_EQ(b.at("sigma").shape(), Shape({8, 1}));
  }
  // All ten sizes appear in 200 batches (a value is missed with probability 10 · 0.9^200 ≈ 7e-9);
  // a meta function drawing once for all batches, or from 5..15, fails this.
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(*seen.begin(), 5);
  EXPECT_EQ(*seen.rbegin(), 14);
}

TEST(LinearRegressionModel, PriorMoments) {
  const GenerativeModel model = tasks::linear_regression_model();
  const Batch b = model.sample(40000, 4, 0);
  const auto beta = b.at("beta").to_vector<double>();
  const auto sigma = b.at("sigma").to_vector<double>();
  std::vector<double> b0, b1;
  for (size_t i = 0; i < beta.size(); i += 2) {
    b0.push_back(beta[i]);
    b1.push_back(beta[i + 1]);
  }
  const double n = double(b0.size());
  // β0 ~ N(2, 3²), β1 ~ N(0, 1²) independent; sigma ~ Gamma(1, 1) = Exp(1): mean 1, var 1,
  // fourth central moment 9 (SE of its variance sqrt((9 − 1)/n)).
  EXPECT_NEAR(mean(b0), 2.0, kSe * 3.0 / std::sqrt(n));
  EXPECT_NEAR(var(b0), 9.0, kSe * 9.0 * std::sqrt(2.0 / n));
  EXPECT_NEAR(mean(b1), 0.0, kSe / std::sqrt(n));
  EXPECT_NEAR(var(b1), 1.0, kSe * std::sqrt(2.0 / n));
  EXPECT_NEAR(corr(b0, b1), 0.0, kSe / std::sqrt(n));
  EXPECT_NEAR(mean(sigma), 1.0, kSe / std::sqrt(n));
  EXPECT_NEAR(var(sigma), 1.0, kSe * std::sqrt(8.0 / n));
  EXPECT_GT(*std::min_element(sigma.begin(), sigma.end()), 0.0);
}

// Given (β, σ), y_j = β0 + β1 x_j + σ ε_j: the standardised residual z = (y − β0 − β1 x) / σ is
// N(0, 1), uncorrelated with x (the slope is β1, not something else), with unit variance both
// for small and for large σ (σ is a std, not a variance); x itself is N(0, 1).
TEST(LinearRegressionModel, YHasTheConditionalMeanAndVarianceOfTheModel) {
  const GenerativeModel model = tasks::linear_regression_model();
  std::vector<double> z, xs, z_small, z_large;
  for (uint64_t k = 0; k < 40; ++k) {
    const Batch b = model.sample(512, 9, k);
    const int64_t n = b.at("x").size(1);
    const auto beta = b.at("beta").to_vector<double>(), sigma = b.at("sigma").to_vector<double>();
    const auto x = b.at("x").to_vector<double>(), y = b.at("y").to_vector<double>();
    for (int64_t i = 0; i < 512; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const auto e = size_t(i * n + j);
        const double r = (y[e] - beta[size_t(2 * i)] - beta[size_t(2 * i + 1)] * x[e]) / sigma[size_t(i)];
        z.push_back(r);
        xs.push_back(x[e]);
        (sigma[size_t(i)] < std::log(2.0) ? z_small : z_large).push_back(r);  // split at σ's median
      }
  }
  const double n = double(z.size());
  EXPECT_NEAR(mean(z), 0.0, kSe / std::sqrt(n));
  EXPECT_NEAR(var(z), 1.0, kSe * std::sqrt(2.0 / n));
  EXPECT_NEAR(corr(z, xs), 0.0, kSe / std::sqrt(n));
  EXPECT_NEAR(mean(xs), 0.0, kSe / std::sqrt(n));
  EXPECT_NEAR(var(xs), 1.0, kSe * std::sqrt(2.0 / n));
  for (const auto* part : {&z_small, &z_large}) {
    ASSERT_GT(part->size(), z.size() / 3);
    EXPECT_NEAR(var(*part), 1.0, kSe * std::sqrt(2.0 / double(part->size())));
  }
}

TEST(LinearRegressionModel, OptionsAreValidated) {
  tasks::LinearRegressionOptions o;
  o.min_points = 3;
  o.max_points = 3;
  const Batch b = tasks::linear_regression_model(o).sample(4, 1, 0);
  EXPECT_EQ(b.at("x").shape(), Shape({4, 3}));
  o.min_points = 0;
  EXPECT_THROW(tasks::linear_regression_model(o), ValueError);
  o.min_points = 10;
  o.max_points = 9;
  EXPECT_THROW(tasks::linear_regression_model(o), ValueError);
}

}  // namespace
}  // namespace amor::sbi

// Lotka–Volterra at irregular times (sbi/tasks/lotka_volterra_irregular.h): the prior, the
// solution at arbitrary times against a fine fixed-step solve, the likelihood against its
// formula, the training rows' layout, R-hat, and the reference posterior's agreement between
// chains around the true parameters, and between the slice-sampling and the SMC references.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "sbi/ode_solver.h"
#include "sbi/tasks/lotka_volterra_irregular.h"

namespace amor::sbi::tasks {
namespace {

using LV = LotkaVolterraIrregular;

TEST(LotkaVolterraIrregular, PriorIsASigmoidOfAStandardNormal) {
  const DistributionPtr prior = LV::prior();
  const Tensor s = prior->sample(20000, 3);
  // logit((θ − 1) / 2) must be N(0, 1): mean 0, variance 1 (standard errors 0.007 and 0.01).
  for (int64_t j = 0; j < 4; ++j) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < 20000; ++i) {
      const double p = (s.data<double>()[i * 4 + j] - 1.0) / 2.0;
      const double u = std::log(p / (1 - p));
      m += u;
      v += u * u;
    }
    m /= 20000;
    v = v / 20000 - m * m;
    EXPECT_NEAR(m, 0.0, 0.035);
    EXPECT_NEAR(v, 1.0, 0.05);
  }
  // The density integrates to one over (1, 3) (midpoint rule, one axis at a time: the axes are
  // independent, so fix the others at 2 and divide by their density).
  const double at2[4] = {2, 2, 2, 2};
  const double base = std::exp(prior->log_prob_one(at2)) / std::exp(0.0);
  double integral = 0;
  const int steps = 20000;
  for (int k = 0; k < steps; ++k) {
    double x[4] = {1.0 + 2.0 * (k + 0.5) / steps, 2, 2, 2};
    integral += std::exp(prior->log_prob_one(x)) * 2.0 / steps;
  }
  // p(θ1, 2, 2, 2) = p1(θ1) · p1(2)³ and p1(2) = N(0; 0, 1) / (2 · 0.25) = 2 φ(0).
  const double p1_at_2 = 2.0 / std::sqrt(2 * std::numbers::pi);
  EXPECT_NEAR(integral / std::pow(p1_at_2, 3), 1.0, 1e-4);
  EXPECT_NEAR(base, std::pow(p1_at_2, 4), 1e-12);
  const double outside[4] = {0.5, 2, 2, 2};
  EXPECT_EQ(prior->log_prob_one(outside), -std::numeric_limits<double>::infinity());
}

TEST(LotkaVolterraIrregular, SolutionAtAnyTimesMatchesAFineFixedStepSolve) {
  const double theta[4] = {1.5, 2.2, 1.3, 2.7};
  const std::vector<double> times = {14.2, 0.0, 3.3, 7.75, 3.3, 0.4};  // any order, repeats
  std::vector<double> pred, prey;
  ASSERT_TRUE(LV::solve(theta, times, pred, prey));
  for (size_t k = 0; k < times.size(); ++k) {
    const double t_save[1] = {times[k]};
    double y[2];
    OdeOptions fixed;
    fixed.fixed_step = 1e-3;
    auto rhs = [&](double, const double* s, double* ds) {
      ds[0] = theta[0] * s[0] - theta[1] * s[0] * s[1];
      ds[1] = -theta[2] * s[1] + theta[3] * s[0] * s[1];
    };
    const double y0[2] = {1.0, 0.5};
    ASSERT_TRUE(solve_ode(rhs, 2, 0.0, y0, t_save, 1, y, fixed).ok());
    // The task solves at tolerance 1e-6 (10^5 below the noise std).
    EXPECT_NEAR(pred[k], y[0], 2e-5) << times[k];
    EXPECT_NEAR(prey[k], y[1], 2e-5) << times[k];
  }
  EXPECT_EQ(pred[1], 1.0);
  EXPECT_EQ(prey[1], 0.5);
  EXPECT_EQ(pred[2], pred[4]);
  EXPECT_THROW(LV::solve(theta, {16.0}, pred, prey), ValueError);
}

TEST(LotkaVolterraIrregular, LikelihoodIsTheGaussianNoiseAroundTheSolution) {
  const double theta[4] = {2.0, 1.5, 2.5, 1.2};
  const LV::Points p = LV::simulate(theta, {1.0, 5.0}, {2.0}, 9, 0);
  ASSERT_EQ(p.size(), 3);
  EXPECT_EQ(p.nodes, (std::vector<int64_t>{4, 4, 5}));
  std::vector<double> pred, prey;
  ASSERT_TRUE(LV::solve(theta, p.times, pred, prey));
  const double means[3] = {pred[0], pred[1], prey[2]};
  double expected = 0;
  for (int k = 0; k < 3; ++k) {
    const double r = (p.values[size_t(k)] - means[k]) / 0.1;
    expected += -0.5 * r * r - std::log(0.1) - 0.5 * std::log(2 * std::numbers::pi);
  }
  EXPECT_NEAR(LV::log_likelihood(theta, p), expected, 1e-10);
  const double outside[4] = {3.5, 1.5, 2.5, 1.2};
  EXPECT_EQ(LV::log_likelihood(outside, p), -std::numeric_limits<double>::infinity());
  // Same seed and index, same points; the noise has std 0.1 around the solution.
  const LV::Points again = LV::simulate(theta, {1.0, 5.0}, {2.0}, 9, 0);
  EXPECT_EQ(again.values, p.values);
  double ss = 0;
  const int reps = 4000;
  for (int r = 0; r < reps; ++r) {
    const LV::Points q = LV::simulate(theta, {1.0}, {}, 10, uint64_t(r));
    ss += (q.values[0] - pred[0]) * (q.values[0] - pred[0]);
  }
  EXPECT_NEAR(std::sqrt(ss / reps), 0.1, 0.005);
}

TEST(LotkaVolterraIrregular, TrainingRowsCarryTheirTimesAsMetadata) {
  const LV::TrainingData d = LV::training_data(50, 3, 4);
  ASSERT_EQ(d.joint.shape(), (Shape{50, 10}));
  ASSERT_EQ(d.metadata.shape(), (Shape{50, 10}));
  EXPECT_EQ(d.node_ids.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4, 4, 4, 5, 5, 5}));
  for (int64_t i = 0; i < 50; ++i) {
    const double* m = d.metadata.data<double>() + i * 10;
    const double* v = d.joint.data<double>() + i * 10;
    for (int j = 0; j < 4; ++j) EXPECT_TRUE(std::isnan(m[j]));
    EXPECT_TRUE(std::is_sorted(m + 4, m + 7));
    EXPECT_TRUE(std::is_sorted(m + 7, m + 10));
    for (int j = 4; j < 10; ++j) EXPECT_TRUE(m[j] >= 0 && m[j] <= 15);
    // Each value is the solution at its time plus noise: within 6 noise std of it.
    std::vector<double> pred, prey;
    ASSERT_TRUE(LV::solve(v, std::vector<double>(m + 4, m + 10), pred, prey));
    for (int j = 0; j < 6; ++j) EXPECT_NEAR(v[4 + j], j < 3 ? pred[size_t(j)] : prey[size_t(j)], 0.6);
  }
  EXPECT_THROW(LV::training_data(0, 3, 1), ValueError);
}

TEST(LotkaVolterraIrregular, PotentialScaleReduction) {
  // Chains from the same distribution: R-hat ≈ 1; chains stuck apart: R-hat large.
  std::vector<double> same, apart;
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 500; ++i) {
      const double v = std::sin(0.37 * (c * 500 + i) * (c * 500 + i));  // deterministic, mean ≈ 0
      same.push_back(v);
      apart.push_back(v + 3.0 * c);
    }
  EXPECT_LT(potential_scale_reduction(same, 4), 1.02);
  EXPECT_GT(potential_scale_reduction(apart, 4), 3.0);
  EXPECT_THROW(potential_scale_reduction({1.0, 2.0, 3.0}, 2), ValueError);
}

TEST(LotkaVolterraIrregular, ReferencePosteriorChainsAgreeAroundTheTruth) {
  const double theta[4] = {1.8, 2.4, 1.4, 1.9};
  std::vector<double> tp, tq;
  for (int k = 0; k < 10; ++k) {
    tp.push_back(0.7 + 1.4 * k);
    tq.push_back(0.3 + 1.45 * k);
  }
  const LV::Points p = LV::simulate(theta, tp, tq, 5, 0);
  nle::McmcOptions o = LV::reference_mcmc_options();
  o.num_chains = 8;
  double rhat = 0;
  const int64_t n = 1600;  // 200 draws per chain
  const Tensor s = LV::reference_posterior(p, n, 3, o, &rhat);
  ASSERT_EQ(s.shape(), (Shape{n, 4}));
  EXPECT_LT(rhat, 1.1);
  // 20 points with noise 0.1 pin θ down: the truth lies within 4 posterior std of the mean.
  for (int64_t j = 0; j < 4; ++j) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; ++i) m += s.data<double>()[i * 4 + j] / double(n);
    for (int64_t i = 0; i < n; ++i) v += std::pow(s.data<double>()[i * 4 + j] - m, 2) / double(n - 1);
    EXPECT_LT(std::abs(m - theta[j]), 4 * std::sqrt(v) + 1e-3) << j;
    EXPECT_LT(std::sqrt(v), 0.3) << j;  // far narrower than the prior (std ≈ 0.4)
  }
  // The SMC reference (the evaluation's) agrees with the converged chains: means within 0.3
  // posterior std (standard errors: 0.045 std for 500 particles), std within 30 %.
  ConditionalReferenceDiagnostics diag;
  const Tensor smc = LV::reference_posterior_smc(p, 500, 4, {}, &diag);
  ASSERT_EQ(smc.shape(), (Shape{500, 4}));
  EXPECT_GT(diag.stages, 1);
  for (int64_t j = 0; j < 4; ++j) {
    double m = 0, v = 0, ms = 0, vs = 0;
    for (int64_t i = 0; i < n; ++i) m += s.data<double>()[i * 4 + j] / double(n);
    for (int64_t i = 0; i < n; ++i) v += std::pow(s.data<double>()[i * 4 + j] - m, 2) / double(n - 1);
    for (int64_t i = 0; i < 500; ++i) ms += smc.data<double>()[i * 4 + j] / 500;
    for (int64_t i = 0; i < 500; ++i) vs += std::pow(smc.data<double>()[i * 4 + j] - ms, 2) / 499;
    EXPECT_LT(std::abs(ms - m), 0.3 * std::sqrt(v)) << j;
    EXPECT_NEAR(std::sqrt(vs), std::sqrt(v), 0.3 * std::sqrt(v)) << j;
  }
}

}  // namespace
}  // namespace amor::sbi::tasks

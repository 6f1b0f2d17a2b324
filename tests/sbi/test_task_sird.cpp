// The SIRD task with a function-valued contact rate (sbi/tasks/sird.h): conservation, the ODE
// against a fixed-step RK4 twin, the GP prior's covariance (unconditional and completed from the
// token values) against the RBF kernel, the prior's density, the noise model, seeds, bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "sbi/tasks/sird.h"
#include "sbi/x_series.h"

namespace amor::sbi {
namespace {

using namespace amor::sbi::tasks;

double sigmoid(double g) { return 1.0 / (1.0 + std::exp(-g)); }

// A contact rate on the grid from a prior draw, for the ODE tests.
std::vector<double> beta_grid_draw(uint64_t index) {
  const SirdRateGp gp;
  Rng rng(7, kUserStreamBase, index);
  std::vector<double> g(kSirdGridPoints), b(kSirdGridPoints);
  gp.sample(rng, g.data());
  for (int j = 0; j < kSirdGridPoints; ++j) b[size_t(j)] = sigmoid(g[size_t(j)]);
  return b;
}

TEST(SirdTask, GridAndTokenTimes) {
  const std::vector<double> grid = sird_grid(), beta_t = sird_beta_times(), obs_t = sird_observation_times();
  ASSERT_EQ(grid.size(), 100u);
  EXPECT_DOUBLE_EQ(grid.front(), 0.0);
  EXPECT_DOUBLE_EQ(grid.back(), 50.0);
  ASSERT_EQ(beta_t.size(), 10u);
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(beta_t[size_t(k)], 50.0 * k / 9.0, 1e-12);
  ASSERT_EQ(obs_t.size(), 10u);
  EXPECT_DOUBLE_EQ(obs_t.front(), 5.0);
  EXPECT_DOUBLE_EQ(obs_t.back(), 50.0);
}

TEST(SirdTask, InterpolationIsPiecewiseLinearAndHeldAtTheEnds) {
  const double t[3] = {0.0, 1.0, 3.0}, v[3] = {2.0, 4.0, 0.0};
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, -1.0), 2.0);
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, 0.0), 2.0);
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, 2.5), 1.0);
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, 3.0), 0.0);
  EXPECT_DOUBLE_EQ(interpolate_linear(t, v, 3, 9.0), 0.0);
}

// S + I + R + D is conserved: the flows only move mass between compartments.
TEST(SirdTask, TotalPopulationIsConserved) {
  std::vector<double> times;
  for (int k = 0; k <= 100; ++k) times.push_back(0.5 * k);
  for (uint64_t i = 0; i < 20; ++i) {
    Rng rng(3, kUserStreamBase, i);
    const double gamma = rng.uniform(0, 0.5), delta = rng.uniform(0, 0.5), i0 = rng.uniform(0, 0.2);
    const std::vector<double> beta = beta_grid_draw(i);
    std::vector<double> s(4 * times.size());
    ASSERT_TRUE(sird_states(gamma, delta, beta.data(), i0, times.data(), int64_t(times.size()), s.data()));
    for (size_t k = 0; k < times.size(); ++k) {
      const double* y = &s[4 * k];
      EXPECT_NEAR(y[0] + y[1] + y[2] + y[3], 1.0 + i0, 1e-9) << "draw " << i << " t " << times[k];
      for (int c = 0; c < 4; ++c) EXPECT_GE(y[c], -1e-9);
      if (k > 0) {  // S falls, R and D rise (up to the solver's 1e-8 tolerance); R / D = γ / δ
        EXPECT_LE(y[0], s[4 * (k - 1)] + 1e-8);
        EXPECT_GE(y[2], s[4 * (k - 1) + 2] - 1e-8);
        EXPECT_NEAR(y[2] * delta, y[3] * gamma, 1e-9);
      }
    }
  }
}

// The adaptive solve against a slow, obviously-correct twin: classical RK4 with the same
// interpolated β, stepping exactly onto every kink of β (the grid points) and every save point,
// with 200 equal substeps in between, so each substep sees a smooth (linear) β and the twin's
// error is O(h⁴) ≈ 1e-12.
TEST(SirdTask, OdeMatchesFixedStepRk4Twin) {
  const std::vector<double> grid = sird_grid();
  const std::vector<double> times = sird_observation_times();
  std::vector<double> stops = grid;
  stops.insert(stops.end(), times.begin(), times.end());
  std::sort(stops.begin(), stops.end());
  for (uint64_t i = 0; i < 3; ++i) {
    const double gamma = 0.1 + 0.1 * double(i), delta = 0.02 + 0.05 * double(i), i0 = 0.05;
    const std::vector<double> beta = beta_grid_draw(100 + i);
    std::vector<double> s(4 * times.size());
    ASSERT_TRUE(sird_states(gamma, delta, beta.data(), i0, times.data(), 10, s.data()));
    auto f = [&](double t, const double* y, double* dy) {
      const double inf = interpolate_linear(grid.data(), beta.data(), 100, t) * y[0] * y[1];
      dy[0] = -inf;
      dy[1] = inf - (gamma + delta) * y[1];
      dy[2] = gamma * y[1];
      dy[3] = delta * y[1];
    };
    auto rk4 = [&](double t, double h, double* y) {
      double k1[4], k2[4], k3[4], k4[4], tmp[4];
      f(t, y, k1);
      for (int c = 0; c < 4; ++c) tmp[c] = y[c] + 0.5 * h * k1[c];
      f(t + 0.5 * h, tmp, k2);
      for (int c = 0; c < 4; ++c) tmp[c] = y[c] + 0.5 * h * k2[c];
      f(t + 0.5 * h, tmp, k3);
      for (int c = 0; c < 4; ++c) tmp[c] = y[c] + h * k3[c];
      f(t + h, tmp, k4);
      for (int c = 0; c < 4; ++c) y[c] += h / 6.0 * (k1[c] + 2 * k2[c] + 2 * k3[c] + k4[c]);
    };
    double y[4] = {1.0, i0, 0.0, 0.0};
    size_t next = 0;
    for (size_t k = 1; k < stops.size(); ++k) {
      const double a = stops[k - 1], b = stops[k];
      if (b > a) {
        constexpr int kSub = 200;
        for (int j = 0; j < kSub; ++j) rk4(a + (b - a) * j / kSub, (b - a) / kSub, y);
      }
      if (next < times.size() && b == times[next]) {
        for (int c = 0; c < 4; ++c) EXPECT_NEAR(s[4 * next + size_t(c)], y[c], 1e-7) << "t " << b << " c " << c;
        ++next;
      }
    }
    EXPECT_EQ(next, times.size());
  }
}

TEST(SirdTask, BadOdeInputGivesNaNStatesNotACrash) {
  std::vector<double> beta = beta_grid_draw(0);
  const std::vector<double> times = sird_observation_times();
  std::vector<double> s(40);
  EXPECT_FALSE(sird_states(std::nan(""), 0.1, beta.data(), 0.1, times.data(), 10, s.data()));
  for (double v : s) EXPECT_TRUE(std::isnan(v));
  const double unsorted[2] = {10.0, 5.0}, before_start[1] = {-1.0};
  EXPECT_FALSE(sird_states(0.1, 0.1, beta.data(), 0.1, unsorted, 2, s.data()));
  EXPECT_FALSE(sird_states(0.1, 0.1, beta.data(), 0.1, before_start, 1, s.data()));
  beta[40] = INFINITY;
  EXPECT_FALSE(sird_states(0.1, 0.1, beta.data(), 0.1, times.data(), 10, s.data()));
}

// Sample covariance of the GP draws against the kernel. 40 000 draws: the standard error of a
// covariance estimate is at most σ_f² sqrt(2 / n) = 0.044; the bound is 5 of those.
void expect_kernel_covariance(const std::vector<std::vector<double>>& draws) {
  const std::vector<double> t = sird_grid();
  const double n = double(draws.size());
  const double tol = 5.0 * kSirdSignalStd * kSirdSignalStd * std::sqrt(2.0 / n);
  const int pairs[][2] = {{0, 0}, {0, 5}, {0, 14}, {3, 30}, {11, 22}, {45, 50}, {50, 57}, {60, 99}, {99, 99}, {20, 95}};
  for (const auto& p : pairs) {
    double sa = 0, sb = 0, sab = 0;
    for (const auto& g : draws) {
      sa += g[size_t(p[0])];
      sb += g[size_t(p[1])];
      sab += g[size_t(p[0])] * g[size_t(p[1])];
    }
    const double cov = sab / n - (sa / n) * (sb / n);
    const double expected = sird_rbf_kernel(t[size_t(p[0])], t[size_t(p[1])]) + (p[0] == p[1] ? kSirdJitter : 0.0);
    EXPECT_NEAR(cov, expected, tol) << "grid points " << p[0] << ", " << p[1];
    EXPECT_NEAR(sa / n, 0.0, 5.0 * kSirdSignalStd / std::sqrt(n)) << "mean at " << p[0];
  }
}

TEST(SirdTask, GpDrawsHaveTheRbfCovariance) {
  const SirdRateGp gp;
  std::vector<std::vector<double>> draws(40000, std::vector<double>(kSirdGridPoints));
  for (size_t i = 0; i < draws.size(); ++i) {
    Rng rng(11, kUserStreamBase, i);
    gp.sample(rng, draws[i].data());
  }
  expect_kernel_covariance(draws);
}

// The task's split: θ tokens from the prior at the 10 token times, the other 90 grid values
// completed by the simulator's conditional. Together they must be one draw of the full GP.
TEST(SirdTask, CompletedGridFromPriorTokensHasTheRbfCovariance) {
  const TaskPtr task = make_task("sird");
  std::vector<int> idx;
  for (int k = 0; k < 10; ++k) idx.push_back(11 * k);
  const SirdRateGp gp(idx);
  const int64_t n = 40000;
  const Tensor theta = task->prior()->sample(n, 5);
  const double* th = theta.data<double>();
  std::vector<std::vector<double>> draws(static_cast<size_t>(n), std::vector<double>(kSirdGridPoints));
  for (int64_t i = 0; i < n; ++i) {
    double g_given[10];
    for (int k = 0; k < 10; ++k) {
      const double b = th[i * 12 + 2 + k];
      g_given[k] = std::log(b / (1.0 - b));
    }
    Rng rng(13, kUserStreamBase, uint64_t(i));
    gp.complete(g_given, rng, draws[size_t(i)].data());
    for (int k = 0; k < 10; ++k) EXPECT_EQ(draws[size_t(i)][size_t(11 * k)], g_given[k]);
  }
  expect_kernel_covariance(draws);
}

TEST(SirdTask, PriorDensityMatchesItsDefinition) {
  const TaskPtr task = make_task("sird");
  const DistributionPtr prior = task->prior();
  ASSERT_EQ(prior->dim(), 12);
  std::vector<int> idx;
  for (int k = 0; k < 10; ++k) idx.push_back(11 * k);
  const SirdRateGp gp(idx);
  std::vector<std::vector<double>> cov(10, std::vector<double>(10));
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 10; ++j) cov[size_t(i)][size_t(j)] = gp.given_covariance()[size_t(i * 10 + j)];
  const DistributionPtr logit_prior = multivariate_normal(std::vector<double>(10, 0.0), cov);
  const Tensor theta = prior->sample(50, 9);
  const Tensor lp = prior->log_prob(theta);
  for (int64_t i = 0; i < 50; ++i) {
    const double* r = theta.data<double>() + i * 12;
    ASSERT_GE(r[0], 0.0);
    ASSERT_LE(r[0], 0.5);
    double g[10], jac = 0.0;
    for (int k = 0; k < 10; ++k) {
      g[k] = std::log(r[2 + k] / (1.0 - r[2 + k]));
      jac -= std::log(r[2 + k] * (1.0 - r[2 + k]));
    }
    const double expected = 2.0 * std::log(2.0) + logit_prior->log_prob_one(g) + jac;
    EXPECT_NEAR(lp.data<double>()[i], expected, 1e-8 * (1.0 + std::abs(expected)));
  }
  double outside[12] = {0.6, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  EXPECT_EQ(prior->log_prob_one(outside), -INFINITY);
  outside[0] = 0.1;
  outside[5] = 1.0;
  EXPECT_EQ(prior->log_prob_one(outside), -INFINITY);
  const Support s = prior->support();
  EXPECT_EQ(s.upper[0], 0.5);
  EXPECT_EQ(s.upper[2], 1.0);
}

TEST(SirdTask, ObservationNoiseIsLogNormalWithStd005) {
  const double values[] = {0.3, 1e-3, 0.0};
  for (double v : values) {
    const int n = 100000;
    double s = 0, ss = 0;
    for (int i = 0; i < n; ++i) {
      Rng rng(17, kUserStreamBase, uint64_t(i));
      const double x = sird_observe(v, rng);
      ASSERT_GT(x, 0.0);
      const double r = std::log(x) - std::log(v + 1e-8);
      s += r;
      ss += r * r;
    }
    const double mean = s / n, sd = std::sqrt(ss / n - mean * mean);
    EXPECT_NEAR(mean, 0.0, 5.0 * 0.05 / std::sqrt(double(n)));
    EXPECT_NEAR(sd, 0.05, 5.0 * 0.05 / std::sqrt(2.0 * n));
  }
  // The density: log-normal, normalised (trapezoid over ±8 σ on the log scale).
  const double v = 0.2;
  double integral = 0.0;
  const double lo = std::log(v) - 0.4, hi = std::log(v) + 0.4, h = 1e-4;
  for (double u = lo; u < hi; u += h) integral += std::exp(sird_observation_log_density(std::exp(u), v)) * std::exp(u) * h;
  EXPECT_NEAR(integral, 1.0, 1e-3);
  EXPECT_EQ(sird_observation_log_density(0.0, v), -INFINITY);
  EXPECT_EQ(sird_observation_log_density(-1.0, v), -INFINITY);
}

TEST(SirdTask, RegisteredWithNamesSeriesAndDag) {
  const TaskPtr task = make_task("sird");
  EXPECT_EQ(task->name(), "sird");
  EXPECT_EQ(task->theta_dim(), 12);
  EXPECT_EQ(task->x_dim(), 30);
  const std::vector<std::string> tn = task->theta_names(), xn = task->x_names();
  EXPECT_EQ(tn[0], "gamma");
  EXPECT_EQ(tn[1], "delta");
  EXPECT_EQ(tn[2], "beta_1");
  EXPECT_EQ(tn[11], "beta_10");
  EXPECT_EQ(xn[0], "I_1");
  EXPECT_EQ(xn[10], "R_1");
  EXPECT_EQ(xn[29], "D_10");
  const auto* layout = dynamic_cast<const XSeriesLayout*>(task.get());
  ASSERT_NE(layout, nullptr);
  const std::vector<XSeries> series = layout->x_series();
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[1].columns.front(), 10);
  EXPECT_DOUBLE_EQ(series[2].times.back(), 50.0);
  const Tensor dag = task->dag();
  ASSERT_EQ(dag.shape(), (Shape{42, 42}));
  const bool* m = dag.data<bool>();
  EXPECT_FALSE(m[1 * 42 + 0]);   // δ and γ independent
  EXPECT_FALSE(m[2 * 42 + 0]);   // β and γ independent
  EXPECT_TRUE(m[5 * 42 + 2]);    // β_4 <- β_1
  EXPECT_TRUE(m[12 * 42 + 0]);   // I_1 <- γ
  EXPECT_TRUE(m[41 * 42 + 12]);  // D_10 <- I_1
  EXPECT_FALSE(m[12 * 42 + 41]);
}

TEST(SirdTask, SimulationsArePositiveAndSeedReproducibleOverThreads) {
  const TaskPtr task = make_task("sird");
  const Tensor theta = task->prior()->sample(64, 21);
  const Tensor a = simulate(*task->simulator(), theta, 4, {.num_threads = 1});
  const Tensor b = simulate(*task->simulator(), theta, 4, {.num_threads = 2});
  const Tensor c = simulate(*task->simulator(), theta, 5, {.num_threads = 1});
  ASSERT_EQ(a.shape(), (Shape{64, 30}));
  const double *pa = a.data<double>(), *pb = b.data<double>(), *pc = c.data<double>();
  int differ = 0;
  for (int64_t i = 0; i < 64 * 30; ++i) {
    EXPECT_EQ(pa[i], pb[i]);
    EXPECT_TRUE(std::isfinite(pa[i]) && pa[i] > 0.0) << i;
    differ += pa[i] != pc[i];
  }
  EXPECT_EQ(differ, 64 * 30);
  // D / R = δ / γ up to the two independent noises: log ratio ~ N(log(δ/γ), 2 · 0.05²) when
  // both are well above the 1e-8 offset.
  const double* th = theta.data<double>();
  for (int64_t i = 0; i < 64; ++i) {
    const double r = pa[i * 30 + 19], d = pa[i * 30 + 29];
    if (r < 1e-4 || d < 1e-4) continue;
    EXPECT_NEAR(std::log(d / r), std::log(th[i * 12 + 1] / th[i * 12 + 0]), 6 * 0.05 * std::sqrt(2.0)) << i;
  }
}

TEST(SirdTask, InvalidParametersGiveNaNRowsAndBadGridIndicesThrow) {
  const TaskPtr task = make_task("sird");
  Tensor theta = task->prior()->sample(2, 1);
  theta.data<double>()[12 + 4] = 1.5;  // β outside (0, 1)
  const Tensor x = simulate(*task->simulator(), theta, 1);
  EXPECT_TRUE(std::isfinite(x.data<double>()[0]));
  for (int j = 0; j < 30; ++j) EXPECT_TRUE(std::isnan(x.data<double>()[30 + j]));
  EXPECT_THROW(SirdRateGp({0, 100}), ValueError);
  EXPECT_THROW(SirdRateGp({3, 3}), ValueError);
  EXPECT_THROW(SirdRateGp({-1}), ValueError);
}

}  // namespace
}  // namespace amor::sbi

// sbibm's ODE tasks, sir and lotka_volterra: sbibm's observation 1 must be typical of our
// simulator at its true parameters (and stop being so when a parameter is perturbed), the
// reference data must load, and a failed ODE solve must give a NaN row that simulate_dataset
// drops and counts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "sbi/simulator.h"
#include "sbi/task.h"
#include "sbi/tasks/builtin.h"
#include "sbi/tasks/lotka_volterra.h"
#include "sbi/tasks/sir.h"

namespace amor::sbi {
namespace {

using namespace tasks;  // the models' constants

bool have_data(const std::string& folder) {
  return std::filesystem::exists(std::filesystem::path(default_data_dir()) / folder /
                                 "num_observation_1" / "observation.csv");
}

std::vector<double> row(const Tensor& t) { return t.contiguous().to_vector<double>(); }

// Monte-Carlo typicality: simulate n times at theta and return, per coordinate j, the two-sided
// p-value of x_o[j] among the simulated x[:, j]:
//   p_j = min(1, 2 · min(#{x ≤ x_o} + 1, #{x ≥ x_o} + 1) / (n + 1)).
// Ties count on both sides, so discrete data (sir's counts) is judged conservatively.
std::vector<double> monte_carlo_p_values(const Task& task, const std::vector<double>& theta,
                                         const std::vector<double>& x_o, int64_t n,
                                         uint64_t seed) {
  const int64_t d = task.theta_dim(), m = task.x_dim();
  std::vector<double> rows;
  for (int64_t i = 0; i < n; ++i) rows.insert(rows.end(), theta.begin(), theta.end());
  const Tensor x = simulate(*task.simulator(), from_vector(rows, {n, d}), seed);
  const std::vector<double> xs = row(x);
  std::vector<double> p(static_cast<size_t>(m));
  for (int64_t j = 0; j < m; ++j) {
    int64_t below = 0, above = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double v = xs[size_t(i * m + j)];
      EXPECT_TRUE(std::isfinite(v));
      below += v <= x_o[size_t(j)];
      above += v >= x_o[size_t(j)];
    }
    p[size_t(j)] =
        std::min(1.0, 2.0 * double(std::min(below, above) + 1) / double(n + 1));
  }
  return p;
}

// Every coordinate inside the central 99.8 % of its simulated distribution (p_j > 0.002). With
// d coordinates, Bonferroni bounds the chance that a correct simulator fails by d · 0.002
// (2 % for sir, 4 % for lotka_volterra) for an arbitrary seed; the seed here is fixed. With
// n = 1000 this is as sharp as the Monte-Carlo resolution allows (the smallest p is 2/1001).
constexpr double kCentralTail = 0.002;

bool all_typical(const std::vector<double>& p) {
  return *std::min_element(p.begin(), p.end()) > kCentralTail;
}

// Exact two-sided binomial tail: 2 · min(P(X ≤ k), P(X ≥ k)) for X ~ Binomial(n, q).
double binomial_two_sided_p(int n, double q, int k) {
  auto log_pmf = [&](int i) {
    if (q <= 0.0) return i == 0 ? 0.0 : -INFINITY;
    if (q >= 1.0) return i == n ? 0.0 : -INFINITY;
    return std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) +
           i * std::log(q) + (n - i) * std::log1p(-q);
  };
  double lower = 0.0, upper = 0.0;
  for (int i = 0; i <= n; ++i) {
    const double pm = std::exp(log_pmf(i));
    if (i <= k) lower += pm;
    if (i >= k) upper += pm;
  }
  return std::min(1.0, 2.0 * std::min(lower, upper));
}

// ---- sir ------------------------------------------------------------------------------------

// I(t_k) / N at the 10 observation days.
bool infected_fraction(double beta, double gamma, double* infected) {
  double f[3 * kSirNumObservations];
  const bool ok = sir_fractions(beta, gamma, f);
  for (int k = 0; k < kSirNumObservations; ++k) infected[k] = f[3 * k + 1];
  return ok;
}

TEST(SirTask, DefinitionAndPrior) {
  const TaskPtr task = make_task("sir");
  EXPECT_EQ(task->name(), "sir");
  EXPECT_EQ(task->theta_dim(), 2);
  EXPECT_EQ(task->x_dim(), 10);
  // LogNormal(log 0.4, 0.5) and LogNormal(log 0.125, 0.2): means exp(μ + σ²/2).
  const std::vector<double> mean = task->prior()->mean();
  ASSERT_EQ(mean.size(), 2u);
  EXPECT_NEAR(mean[0], 0.4 * std::exp(0.125), 1e-12);
  EXPECT_NEAR(mean[1], 0.125 * std::exp(0.02), 1e-12);
  // Day 0 is the initial condition: I / N = 1e-6 exactly.
  double f[kSirNumObservations];
  ASSERT_TRUE(infected_fraction(0.4, 0.125, f));
  EXPECT_DOUBLE_EQ(f[0], 1e-6);
}

// The SIR ODE conserves S + I + R = N and S + I − (γ/β) N ln S (divide I' by S'), and its
// final size z = R(∞)/N solves z = 1 − exp(−R0 z) with R0 = β/γ (the initial infective is
// negligible). At R0 = 4 the epidemic is over long before day 153. These hold to the solver's
// tolerance; a wrong term in the right-hand side breaks them at the 1e-2 level or worse.
TEST(SirTask, CompartmentsKeepTheSirInvariants) {
  const double beta = 0.5, gamma = 0.125, r0 = beta / gamma;
  double f[3 * kSirNumObservations];
  ASSERT_TRUE(sir_fractions(beta, gamma, f));
  auto h = [&](int k) { return f[3 * k] + f[3 * k + 1] - std::log(f[3 * k]) / r0; };
  for (int k = 0; k < kSirNumObservations; ++k) {
    EXPECT_NEAR(f[3 * k] + f[3 * k + 1] + f[3 * k + 2], 1.0, 1e-9) << "day " << 17 * k;
    EXPECT_NEAR(h(k), h(0), 1e-8) << "day " << 17 * k;  // measured drift 6e-10
  }
  double z = 0.9;  // fixed point of z = 1 − exp(−R0 z): a contraction near the root here
  for (int i = 0; i < 200; ++i) z = 1.0 - std::exp(-r0 * z);
  const int last = kSirNumObservations - 1;
  EXPECT_LT(f[3 * last + 1], 1e-4);        // no one left infected at day 153
  EXPECT_NEAR(f[3 * last + 2], z, 1e-4);   // z = 0.980 at R0 = 4
}

TEST(SirTask, ObservationOneIsTypicalAtItsTrueParameters) {
  if (!have_data("sir")) GTEST_SKIP() << "sbibm data not found at " << default_data_dir();
  const TaskPtr task = make_task("sir");
  const std::vector<double> theta = row(task->true_parameters(1));
  const std::vector<double> x_o = row(task->observation(1));
  ASSERT_EQ(theta.size(), 2u);
  ASSERT_EQ(x_o.size(), 10u);

  const std::vector<double> p = monte_carlo_p_values(*task, theta, x_o, 1000, 2024);
  EXPECT_TRUE(all_typical(p)) << "min p = " << *std::min_element(p.begin(), p.end());

  // A 10 % larger contact rate moves the epidemic about four days earlier: x_o is no longer
  // typical. This shows the checks above have the power to see a wrong simulator.
  std::vector<double> perturbed = theta;
  perturbed[0] *= 1.1;
  EXPECT_FALSE(all_typical(monte_carlo_p_values(*task, perturbed, x_o, 1000, 2024)));
}

// The exact version of the question above, from the ODE alone and for all 10 observations:
// x_o[k] against Binomial(1000, I(t_k)/N) at the true θ. Bonferroni over the 100 (observation,
// day) pairs at family level 1 %: each two-sided p must exceed 1e-4. (Smallest measured: ~0.006,
// observation 10, day 34.) A solver error of even 1 % in I would not be caught here, but a wrong
// model (rates swapped, N misplaced, a day off the grid) moves many counts by 10+ SDs.
TEST(SirTask, AllObservationsAreConsistentWithTheOdeSolution) {
  if (!have_data("sir")) GTEST_SKIP() << "sbibm data not found at " << default_data_dir();
  const TaskPtr task = make_task("sir");
  for (int obs = 1; obs <= 10; ++obs) {
    const std::vector<double> theta = row(task->true_parameters(obs));
    const std::vector<double> x_o = row(task->observation(obs));
    double f[kSirNumObservations];
    ASSERT_TRUE(infected_fraction(theta[0], theta[1], f));
    for (int k = 0; k < kSirNumObservations; ++k)
      EXPECT_GT(binomial_two_sided_p(kSirTrials, f[k], int(x_o[size_t(k)])), 0.01 / 100)
          << "observation " << obs << ", day " << 17 * k;
  }
}

TEST(SirTask, ReferenceDataLoads) {
  if (!have_data("sir")) GTEST_SKIP() << "sbibm data not found at " << default_data_dir();
  const TaskPtr task = make_task("sir");
  EXPECT_EQ(task->num_observations(), 10);
  const Tensor ref = task->reference_samples(1);
  EXPECT_EQ(ref.shape(), Shape({10000, 2}));
  // Every reference sample lies in the prior's support (positive rates).
  const Tensor lp = task->prior()->log_prob(ref);
  for (double v : lp.to_vector<double>()) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(task->observation(10).shape(), Shape({1, 10}));
  EXPECT_EQ(task->true_parameters(10).shape(), Shape({1, 2}));
}

TEST(SirTask, NonFiniteRatesGiveANaNRow) {
  const TaskPtr task = make_task("sir");
  const Tensor theta = from_vector(std::vector<double>{0.4, 0.125, NAN, 0.125}, {2, 2});
  const std::vector<double> x = row(simulate(*task->simulator(), theta, 1));
  for (int j = 0; j < 10; ++j) {
    EXPECT_TRUE(std::isfinite(x[size_t(j)]));
    EXPECT_TRUE(std::isnan(x[size_t(10 + j)]));
  }
}

// ---- lotka_volterra -------------------------------------------------------------------------

TEST(LotkaVolterraTask, DefinitionAndPrior) {
  const TaskPtr task = make_task("lotka_volterra");
  EXPECT_EQ(task->name(), "lotka_volterra");
  EXPECT_EQ(task->theta_dim(), 4);
  EXPECT_EQ(task->x_dim(), 20);
  const std::vector<double> mean = task->prior()->mean();
  const double mu[4] = {-0.125, -3.0, -0.125, -3.0};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(mean[size_t(i)], std::exp(mu[i] + 0.125), 1e-12);
  const double theta[4] = {0.7, 0.1, 0.9, 0.1};
  double u[20];
  ASSERT_TRUE(tasks::lotka_volterra_states(theta, u));
  EXPECT_DOUBLE_EQ(u[0], 30.0);   // prey at t = 0
  EXPECT_DOUBLE_EQ(u[10], 1.0);   // predator at t = 0
}

TEST(LotkaVolterraTask, ObservationOneIsTypicalAtItsTrueParameters) {
  if (!have_data("lotka_volterra")) GTEST_SKIP() << "sbibm data not found at " << default_data_dir();
  const TaskPtr task = make_task("lotka_volterra");
  const std::vector<double> theta = row(task->true_parameters(1));
  const std::vector<double> x_o = row(task->observation(1));
  ASSERT_EQ(theta.size(), 4u);
  ASSERT_EQ(x_o.size(), 20u);

  const std::vector<double> p = monte_carlo_p_values(*task, theta, x_o, 1000, 2025);
  EXPECT_TRUE(all_typical(p)) << "min p = " << *std::min_element(p.begin(), p.end());

  // A 10 % larger prey growth rate shifts the cycles: x_o is no longer typical.
  std::vector<double> perturbed = theta;
  perturbed[0] *= 1.1;
  EXPECT_FALSE(all_typical(monte_carlo_p_values(*task, perturbed, x_o, 1000, 2025)));
}

// The exact version, from the ODE alone and for all 10 observations: at the true θ,
// z_i = (log x_o,i − log clamp(u_i)) / 0.1 are 20 independent N(0, 1) draws, so Σ z² ~ χ²(20).
// Bonferroni over the 10 observations at family level 1 %: each below the 99.9 % quantile,
// 45.31 (measured 9.2 … 40.2, mean 22 ≈ the expected 20). Perturbing α by 10 % gives 200–2000.
TEST(LotkaVolterraTask, AllObservationsAreConsistentWithTheOdeSolution) {
  if (!have_data("lotka_volterra")) GTEST_SKIP() << "sbibm data not found at " << default_data_dir();
  const TaskPtr task = make_task("lotka_volterra");
  auto chi2_at = [&](const std::vector<double>& theta, const std::vector<double>& x_o) {
    double u[20];
    EXPECT_TRUE(tasks::lotka_volterra_states(theta.data(), u));
    double chi2 = 0.0;
    for (int i = 0; i < 20; ++i) {
      const double level = std::clamp(u[i], kLotkaVolterraClampLow, kLotkaVolterraClampHigh);
      const double z = (std::log(x_o[size_t(i)]) - std::log(level)) / kLotkaVolterraNoise;
      chi2 += z * z;
    }
    return chi2;
  };
  for (int obs = 1; obs <= 10; ++obs) {
    const std::vector<double> theta = row(task->true_parameters(obs));
    const std::vector<double> x_o = row(task->observation(obs));
    EXPECT_LT(chi2_at(theta, x_o), 45.31) << "observation " << obs;
    std::vector<double> perturbed = theta;
    perturbed[0] *= 1.1;
    EXPECT_GT(chi2_at(perturbed, x_o), 45.31) << "observation " << obs << ", α perturbed";
  }
}

TEST(LotkaVolterraTask, ReferenceDataLoads) {
  if (!have_data("lotka_volterra")) GTEST_SKIP() << "sbibm data not found at " << default_data_dir();
  const TaskPtr task = make_task("lotka_volterra");
  EXPECT_EQ(task->num_observations(), 10);
  const Tensor ref = task->reference_samples(3);
  EXPECT_EQ(ref.shape(), Shape({10000, 4}));
  const Tensor lp = task->prior()->log_prob(ref);
  for (double v : lp.to_vector<double>()) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(task->observation(3).shape(), Shape({1, 20}));
}

// A negative predator "death rate" γ makes the predator grow without bound; the prey's decay
// rate βy grows with it until the problem is stiff and the explicit solver runs out of its
// 1e5 steps (as Julia's Tsit5 would). The solve fails, the row is NaN, and simulate_dataset
// drops and counts it.
TEST(LotkaVolterraTask, FailedSolveGivesANaNRowThatIsDroppedAndCounted) {
  const TaskPtr task = make_task("lotka_volterra");
  const double blow_up[4] = {0.7, 0.1, -60.0, 0.1};
  double u[20];
  EXPECT_FALSE(tasks::lotka_volterra_states(blow_up, u));
  for (double v : u) EXPECT_TRUE(std::isnan(v));

  // A prior whose γ straddles 0: rows fail exactly where the solve fails.
  const DistributionPtr prior = product({log_normal({-0.125, -3.0}, {0.5, 0.5}),
                                         box_uniform({-1.0}, {1.0}),
                                         log_normal({-3.0}, {0.5})});
  const int64_t n = 16;
  const uint64_t seed = 5;
  const std::vector<double> theta = row(prior->sample(n, seed));
  int64_t expected_invalid = 0;
  std::vector<double> expected_valid_theta;
  for (int64_t i = 0; i < n; ++i) {
    const double* th = &theta[size_t(4 * i)];
    if (tasks::lotka_volterra_states(th, u))
      expected_valid_theta.insert(expected_valid_theta.end(), th, th + 4);
    else
      ++expected_invalid;
  }
  ASSERT_GT(expected_invalid, 0);
  ASSERT_LT(expected_invalid, n);
  const Dataset data = simulate_dataset(*prior, *task->simulator(), n, seed);
  EXPECT_EQ(data.num_simulated, n);
  EXPECT_EQ(data.num_invalid, expected_invalid);
  EXPECT_EQ(data.theta.size(0), n - expected_invalid);
  EXPECT_EQ(row(data.theta), expected_valid_theta);
  for (double v : row(data.x)) EXPECT_TRUE(std::isfinite(v));
}

// Same seed, same x whatever the thread count (the simulators share no state).
TEST(OdeTasks, SimulationsDoNotDependOnTheThreadCount) {
  for (const char* name : {"sir", "lotka_volterra"}) {
    const TaskPtr task = make_task(name);
    const Tensor theta = task->prior()->sample(200, 8);
    SimulateOptions one, two;
    one.num_threads = 1;
    two.num_threads = 2;
    EXPECT_EQ(row(simulate(*task->simulator(), theta, 9, one)),
              row(simulate(*task->simulator(), theta, 9, two)))
        << name;
  }
}

}  // namespace
}  // namespace amor::sbi

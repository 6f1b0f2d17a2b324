// SIRD at random times (sbi/tasks/sird_irregular.h): node names and DAG, the prior draw (the GP
// grid's covariance), the simulated points against the noise-free solution, the training rows'
// layout (β tokens are the interpolated sigmoid of the row's GP grid at their times), the same
// rows whatever the thread count, and typed errors.
#include <gtest/gtest.h>

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "sbi/tasks/sird_irregular.h"

namespace amor::sbi::tasks {
namespace {

using SI = SirdIrregular;

double sigmoid(double g) { return 1.0 / (1.0 + std::exp(-g)); }

// β at t from the grid values, written out independently of interpolate_linear.
double beta_by_hand(const std::vector<double>& g_grid, double t) {
  const double h = 50.0 / 99.0;
  const int j = std::min(int(t / h), 98);
  const double w = (t - j * h) / h;
  return (1 - w) * sigmoid(g_grid[size_t(j)]) + w * sigmoid(g_grid[size_t(j + 1)]);
}

TEST(SirdIrregular, NodesAndDag) {
  EXPECT_EQ(SI::name(), "sird_irregular");
  EXPECT_EQ(SI::node_names(), (std::vector<std::string>{"gamma", "delta", "beta", "I", "R", "D"}));
  for (int64_t k = 0; k < SI::kNodes; ++k) EXPECT_EQ(SI::node_of(SI::node_names()[size_t(k)]), k);
  try {
    SI::node_of("rho");
    ADD_FAILURE() << "no error for an unknown name";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'rho'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gamma, delta, beta, I, R or D"), std::string::npos) << e.what();
  }
  const Tensor dag = SI::node_dag();
  ASSERT_EQ(dag.shape(), (Shape{6, 6}));
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j) EXPECT_EQ(dag.data<bool>()[i * 6 + j], i >= 3 && j <= 2) << i << " " << j;
}

TEST(SirdIrregular, DrawsFollowThePrior) {
  // Rates and I₀ uniform on their ranges; g on the grid a GP with the RBF covariance
  // (σ_f² = 6.25 at lag 0; 6.25·exp(−0.5·(50·10/99/7)²) = 4.90 at 10 grid steps). 4000 draws:
  // standard errors ≈ 0.14 for the variance, 0.13 for the covariance.
  const int n = 4000;
  double v0 = 0, c10 = 0, m0 = 0, gmax = 0, dmax = 0, imax = 0;
  for (int i = 0; i < n; ++i) {
    const SI::Truth t = SI::draw(5, uint64_t(i));
    ASSERT_EQ(t.g_grid.size(), 100u);
    EXPECT_TRUE(t.gamma >= 0 && t.gamma < 0.5 && t.delta >= 0 && t.delta < 0.5);
    EXPECT_TRUE(t.initial_infected >= 0 && t.initial_infected < 0.2);
    gmax = std::max(gmax, t.gamma);
    dmax = std::max(dmax, t.delta);
    imax = std::max(imax, t.initial_infected);
    m0 += t.g_grid[40] / n;
    v0 += t.g_grid[40] * t.g_grid[40] / n;
    c10 += t.g_grid[40] * t.g_grid[50] / n;
  }
  EXPECT_GT(gmax, 0.49);
  EXPECT_GT(dmax, 0.49);
  EXPECT_GT(imax, 0.19);
  EXPECT_NEAR(m0, 0.0, 0.2);
  EXPECT_NEAR(v0, 6.25, 0.6);
  const double r = 50.0 * 10 / 99 / 7;
  EXPECT_NEAR(c10, 6.25 * std::exp(-0.5 * r * r), 0.6);
  // A draw is a function of (seed, index) only.
  EXPECT_EQ(SI::draw(5, 3).g_grid, SI::draw(5, 3).g_grid);
  EXPECT_NE(SI::draw(5, 3).g_grid, SI::draw(6, 3).g_grid);
  // β at any times: the interpolated sigmoid of the grid, exactly sigmoid(g) at grid points.
  const SI::Truth t = SI::draw(5, 7);
  const std::vector<double> times = {0.0, 50.0 * 11 / 99, 3.3, 49.99, 50.0, 17.0};
  const std::vector<double> b = t.beta(times);
  EXPECT_DOUBLE_EQ(b[0], sigmoid(t.g_grid[0]));
  EXPECT_DOUBLE_EQ(b[1], sigmoid(t.g_grid[11]));
  EXPECT_DOUBLE_EQ(b[4], sigmoid(t.g_grid[99]));
  for (size_t k = 0; k < times.size(); ++k) EXPECT_NEAR(b[k], beta_by_hand(t.g_grid, times[k]), 1e-14) << times[k];
  EXPECT_THROW(t.beta({50.5}), ValueError);
  EXPECT_THROW(t.beta({-0.1}), ValueError);
}

TEST(SirdIrregular, SimulatedPointsAreLogNormalAroundTheSolution) {
  const SI::Truth t = SI::draw(3, 1);
  const std::vector<double> ti = {30.0, 2.5}, tr = {12.0}, td = {49.0, 7.0, 30.0};  // any order
  const SI::Points p = SI::simulate(t, ti, tr, td, 9, 0);
  ASSERT_EQ(p.size(), 6);
  EXPECT_EQ(p.nodes, (std::vector<int64_t>{3, 3, 4, 5, 5, 5}));
  EXPECT_EQ(p.times, (std::vector<double>{30.0, 2.5, 12.0, 49.0, 7.0, 30.0}));
  for (double v : p.values) EXPECT_GT(v, 0.0);
  // The noise-free compartments from sird_states at the sorted times.
  double beta_grid[100];
  for (int j = 0; j < 100; ++j) beta_grid[j] = sigmoid(t.g_grid[size_t(j)]);
  const std::vector<double> sorted = {2.5, 7.0, 12.0, 30.0, 49.0};
  std::vector<double> states(4 * sorted.size());
  ASSERT_TRUE(sird_states(t.gamma, t.delta, beta_grid, t.initial_infected, sorted.data(), 5, states.data()));
  auto state_at = [&](double at, int column) {
    const size_t k = size_t(std::find(sorted.begin(), sorted.end(), at) - sorted.begin());
    return states[4 * k + size_t(column)];
  };
  const int columns[6] = {1, 1, 2, 3, 3, 3};
  for (int k = 0; k < 6; ++k) {
    const double mean = std::log(std::max(state_at(p.times[size_t(k)], columns[k]), 0.0) + 1e-8);
    EXPECT_LT(std::abs(std::log(p.values[size_t(k)]) - mean), 6 * 0.05) << k;
  }
  // Same (seed, index), same points; over many indices the log-residual std is 0.05.
  EXPECT_EQ(SI::simulate(t, ti, tr, td, 9, 0).values, p.values);
  double ss = 0;
  const int reps = 3000;
  const double mean = std::log(state_at(30.0, 1) + 1e-8);
  for (int r = 0; r < reps; ++r) {
    const SI::Points q = SI::simulate(t, {30.0}, {}, {}, 10, uint64_t(r));
    ss += std::pow(std::log(q.values[0]) - mean, 2);
  }
  EXPECT_NEAR(std::sqrt(ss / reps), 0.05, 0.003);
  EXPECT_EQ(SI::simulate(t, {}, {}, {}, 1, 0).size(), 0);
  EXPECT_THROW(SI::simulate(t, {51.0}, {}, {}, 1, 0), ValueError);
  EXPECT_THROW(SI::simulate(t, {}, {-1.0}, {}, 1, 0), ValueError);
  SI::Truth bad = t;
  bad.g_grid.resize(10);
  EXPECT_THROW(SI::simulate(bad, {1.0}, {}, {}, 1, 0), ValueError);
  EXPECT_THROW(bad.beta({1.0}), ValueError);
}

TEST(SirdIrregular, TrainingRowsCarryBetaOfTheirGridAndTheirTimes) {
  const int64_t n = 40, kb = 4, k = 3, tokens = 2 + kb + 3 * k;
  const SI::TrainingData d = SI::training_data(n, kb, k, 7);
  EXPECT_EQ(d.dropped, 0);
  ASSERT_EQ(d.joint.shape(), (Shape{n, tokens}));
  ASSERT_EQ(d.metadata.shape(), (Shape{n, tokens}));
  EXPECT_EQ(d.node_ids.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5}));
  ASSERT_EQ(d.draw_index.size(), size_t(n));
  for (int64_t r = 0; r < n; ++r) {
    EXPECT_EQ(d.draw_index[size_t(r)], r);
    const double* v = d.joint.data<double>() + r * tokens;
    const double* m = d.metadata.data<double>() + r * tokens;
    const SI::Truth truth = SI::draw(7, uint64_t(r));
    EXPECT_TRUE(std::isnan(m[0]) && std::isnan(m[1]));
    EXPECT_EQ(v[0], truth.gamma);
    EXPECT_EQ(v[1], truth.delta);
    // β tokens: sorted times in [0, 50), values the interpolated sigmoid(GP) of the row's grid.
    EXPECT_TRUE(std::is_sorted(m + 2, m + 2 + kb));
    for (int64_t j = 0; j < kb; ++j) {
      EXPECT_TRUE(m[2 + j] >= 0 && m[2 + j] < 50);
      EXPECT_NEAR(v[2 + j], beta_by_hand(truth.g_grid, m[2 + j]), 1e-14);
      EXPECT_TRUE(v[2 + j] > 0 && v[2 + j] < 1);
    }
    // I, R, D: each its own sorted times in (0, 50], positive values near the solution there.
    double beta_grid[100];
    for (int j = 0; j < 100; ++j) beta_grid[j] = sigmoid(truth.g_grid[size_t(j)]);
    for (int64_t s = 0; s < 3; ++s) {
      const double* ts = m + 2 + kb + s * k;
      EXPECT_TRUE(std::is_sorted(ts, ts + k));
      std::vector<double> states(size_t(4 * k));
      ASSERT_TRUE(sird_states(truth.gamma, truth.delta, beta_grid, truth.initial_infected, ts, k, states.data()));
      for (int64_t j = 0; j < k; ++j) {
        EXPECT_TRUE(ts[j] > 0 && ts[j] <= 50);
        const double x = v[2 + kb + s * k + j];
        EXPECT_GT(x, 0.0);
        EXPECT_LT(std::abs(std::log(x) - std::log(std::max(states[size_t(4 * j + 1 + s)], 0.0) + 1e-8)), 6 * 0.05);
      }
    }
  }
  // The times differ between rows and between series of a row.
  EXPECT_NE(d.metadata.data<double>()[2], d.metadata.data<double>()[tokens + 2]);
  EXPECT_NE(d.metadata.data<double>()[2 + kb], d.metadata.data<double>()[2 + kb + k]);
}

TEST(SirdIrregular, TrainingDataIsTheSameWhateverTheThreadCount) {
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  const SI::TrainingData one = SI::training_data(70, 5, 4, 11);
  omp_set_num_threads(2);
  const SI::TrainingData two = SI::training_data(70, 5, 4, 11);
  omp_set_num_threads(saved);
  const SI::TrainingData three = SI::training_data(70, 5, 4, 11, /*num_threads=*/3);
  for (const SI::TrainingData* other : {&two, &three}) {
    EXPECT_EQ(one.joint.to_vector<double>(), other->joint.to_vector<double>());
    const std::vector<double> a = one.metadata.to_vector<double>(), b = other->metadata.to_vector<double>();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) << i;
  }
  // Another seed, other rows.
  EXPECT_NE(one.joint.to_vector<double>(), SI::training_data(70, 5, 4, 12).joint.to_vector<double>());
}

TEST(SirdIrregular, BadArgumentsAreTypedErrors) {
  EXPECT_THROW(SI::training_data(0, 3, 3, 1), ValueError);
  EXPECT_THROW(SI::training_data(-5, 3, 3, 1), ValueError);
  EXPECT_THROW(SI::training_data(10, 0, 3, 1), ValueError);
  EXPECT_THROW(SI::training_data(10, 3, 0, 1), ValueError);
  Rng rng(1, 2, 3);
  EXPECT_THROW(SI::random_times(rng, -1, true), ValueError);
  const std::vector<double> obs = SI::random_times(rng, 500, true), beta = SI::random_times(rng, 500, false);
  EXPECT_TRUE(std::is_sorted(obs.begin(), obs.end()) && std::is_sorted(beta.begin(), beta.end()));
  EXPECT_TRUE(obs.front() > 0 && obs.back() <= 50 && beta.front() >= 0 && beta.back() < 50);
}

}  // namespace
}  // namespace amor::sbi::tasks

// The Simformer's tree and hmm tasks: their DAGs (which the attention masks are built from)
// and sample moments against what the definitions in simformer.md §6 imply.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "sbi/simulator.h"
#include "sbi/task.h"
#include "sbi/tasks/builtin.h"

namespace amor::sbi {
namespace {

constexpr int64_t kN = 100000;
// Monte-Carlo bounds below are 5 standard errors at n = 1e5: a correct task fails one of the
// ~100 checks in this file with probability ~1e-4 (and the seed is fixed), while a wrong mean
// function, a variance used as a std, or a missing edge moves a statistic by 10+ SE.
constexpr double kSe = 5.0;

struct Columns {
  int64_t n = 0;
  std::vector<std::vector<double>> col;  // col[j][i]
};

Columns columns(const Tensor& t) {
  Columns c;
  c.n = t.size(0);
  const int64_t d = t.size(1);
  const Tensor tc = t.contiguous();
  const double* p = tc.data<double>();
  c.col.assign(size_t(d), std::vector<double>(size_t(c.n)));
  for (int64_t i = 0; i < c.n; ++i)
    for (int64_t j = 0; j < d; ++j) c.col[size_t(j)][size_t(i)] = p[i * d + j];
  return c;
}

double mean(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s / double(v.size());
}

double cov(const std::vector<double>& a, const std::vector<double>& b) {
  const double ma = mean(a), mb = mean(b);
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - ma) * (b[i] - mb);
  return s / double(a.size() - 1);
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
  return cov(a, b) / std::sqrt(cov(a, a) * cov(b, b));
}

// Standardised residuals r_i = (x_i − m(θ_i)) / s must be N(0, 1) and uncorrelated with every
// θ: checks the mean function, the noise std and that x has no parents beyond the DAG's (a
// residual correlated with some θ would mean x depends on it through more than m).
void expect_standard_residuals(const Columns& theta, const std::vector<double>& x,
                               const std::function<double(int64_t)>& mean_fn, double noise_std,
                               const std::string& what) {
  std::vector<double> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) r[i] = (x[i] - mean_fn(int64_t(i))) / noise_std;
  const double n = double(r.size());
  EXPECT_NEAR(mean(r), 0.0, kSe / std::sqrt(n)) << what;
  EXPECT_NEAR(cov(r, r), 1.0, kSe * std::sqrt(2.0 / n)) << what;
  for (size_t j = 0; j < theta.col.size(); ++j)
    EXPECT_NEAR(corr(r, theta.col[j]), 0.0, kSe / std::sqrt(n)) << what << " vs theta " << j;
}

// Sample mean and variance of x against exact values.
void expect_moments(const std::vector<double>& x, double want_mean, double want_var,
                    const std::string& what) {
  const double n = double(x.size());
  EXPECT_NEAR(mean(x), want_mean, kSe * std::sqrt(want_var / n)) << what;
  // SE of a sample variance: sqrt((μ4 − σ⁴) / n); the empirical μ4 stands in for the true one.
  const double m = mean(x);
  double m4 = 0.0;
  for (double v : x) m4 += std::pow(v - m, 4);
  m4 /= n;
  EXPECT_NEAR(cov(x, x), want_var, kSe * std::sqrt((m4 - want_var * want_var) / n)) << what;
}

std::vector<std::vector<bool>> dag_matrix(const Task& task) {
  const Tensor g = task.dag();
  const int64_t t = task.theta_dim() + task.x_dim();
  EXPECT_EQ(g.dtype(), DType::Bool);
  EXPECT_EQ(g.shape(), Shape({t, t}));
  const Tensor gc = g.contiguous();
  const bool* p = gc.data<bool>();
  std::vector<std::vector<bool>> m(static_cast<size_t>(t), std::vector<bool>(size_t(t)));
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < t; ++j) m[size_t(i)][size_t(j)] = p[i * t + j];
  return m;
}

TEST(TreeTask, DagIsTheTree) {
  const TaskPtr task = make_task("tree");
  EXPECT_EQ(task->name(), "tree");
  ASSERT_EQ(task->theta_dim(), 3);
  ASSERT_EQ(task->x_dim(), 4);
  const auto m = dag_matrix(*task);
  // Nodes: 0 θ1, 1 θ2, 2 θ3, 3 x1, 4 x2, 5 x3, 6 x4; m[child][parent].
  std::vector<std::vector<bool>> want(7, std::vector<bool>(7, false));
  want[1][0] = want[2][0] = true;  // θ1 -> θ2, θ3
  want[3][1] = want[4][1] = true;  // θ2 -> x1, x2
  want[5][2] = want[6][2] = true;  // θ3 -> x3, x4
  EXPECT_EQ(m, want);
}

TEST(TreeTask, MomentsMatchTheDefinition) {
  const TaskPtr task = make_task("tree");
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), kN, 11);
  ASSERT_EQ(data.num_invalid, 0);
  const Columns th = columns(data.theta), x = columns(data.x);

  // Prior: θ1 ~ N(0, 1), θ2, θ3 | θ1 ~ N(θ1, 1): variances (1, 2, 2), covariances 1.
  const double want_cov[3][3] = {{1, 1, 1}, {1, 2, 1}, {1, 1, 2}};
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(mean(th.col[size_t(i)]), 0.0, kSe * std::sqrt(want_cov[i][i] / kN)) << i;
    for (int j = 0; j < 3; ++j)  // SE of a Gaussian covariance: sqrt((σii σjj + σij²) / n)
      EXPECT_NEAR(cov(th.col[size_t(i)], th.col[size_t(j)]), want_cov[i][j],
                  kSe * std::sqrt((want_cov[i][i] * want_cov[j][j] + want_cov[i][j] * want_cov[i][j]) / kN))
          << i << "," << j;
  }
  // θ2 − θ1 and θ3 − θ1 are independent N(0, 1) innovations: uncorrelated with each other.
  std::vector<double> d2(static_cast<size_t>(kN)), d3(static_cast<size_t>(kN));
  for (size_t i = 0; i < size_t(kN); ++i) {
    d2[i] = th.col[1][i] - th.col[0][i];
    d3[i] = th.col[2][i] - th.col[0][i];
  }
  EXPECT_NEAR(corr(d2, d3), 0.0, kSe / std::sqrt(double(kN)));
  EXPECT_NEAR(corr(d2, th.col[0]), 0.0, kSe / std::sqrt(double(kN)));

  auto t2 = [&](int64_t i) { return th.col[1][size_t(i)]; };
  auto t3 = [&](int64_t i) { return th.col[2][size_t(i)]; };
  expect_standard_residuals(th, x.col[0], [&](int64_t i) { return std::pow(std::sin(t2(i)), 2); }, 0.2, "x1");
  expect_standard_residuals(th, x.col[1], [&](int64_t i) { return 0.1 * t2(i) * t2(i); }, 0.2, "x2");
  expect_standard_residuals(th, x.col[2], [&](int64_t i) { return 0.1 * t3(i) * t3(i); }, 0.6, "x3");
  expect_standard_residuals(th, x.col[3], [&](int64_t i) { return std::pow(std::cos(t3(i)), 2); }, 0.1, "x4");

  // Marginals with θ2, θ3 ~ N(0, 2): E cos(kθ) = exp(−k²), so
  // E sin²θ = (1 − e⁻⁴)/2, E cos²θ = (1 + e⁻⁴)/2, Var sin²θ = Var cos²θ = ((1 + e⁻¹⁶)/2 − e⁻⁸)/4;
  // E 0.1θ² = 0.2, Var 0.1θ² = 0.01 · 2 · 2² = 0.08.
  const double e4 = std::exp(-4.0), var_sq = ((1.0 + std::exp(-16.0)) / 2.0 - std::exp(-8.0)) / 4.0;
  expect_moments(x.col[0], (1.0 - e4) / 2.0, var_sq + 0.04, "x1");
  expect_moments(x.col[1], 0.2, 0.08 + 0.04, "x2");
  expect_moments(x.col[2], 0.2, 0.08 + 0.36, "x3");
  expect_moments(x.col[3], (1.0 + e4) / 2.0, var_sq + 0.01, "x4");
}

TEST(HmmTask, DagIsAChainWithEmissions) {
  const TaskPtr task = make_task("hmm");
  EXPECT_EQ(task->name(), "hmm");
  ASSERT_EQ(task->theta_dim(), 10);
  ASSERT_EQ(task->x_dim(), 10);
  const auto m = dag_matrix(*task);
  for (int child = 0; child < 20; ++child)
    for (int parent = 0; parent < 20; ++parent) {
      const bool chain = child < 10 && parent == child - 1;
      const bool emission = child >= 10 && parent == child - 10;
      EXPECT_EQ(m[size_t(child)][size_t(parent)], chain || emission) << child << " <- " << parent;
    }
  EXPECT_EQ(task->theta_names().front(), "theta_0");
  EXPECT_EQ(task->x_names().back(), "x_9");
}

TEST(HmmTask, MomentsMatchTheDefinition) {
  const TaskPtr task = make_task("hmm");
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), kN, 12);
  ASSERT_EQ(data.num_invalid, 0);
  const Columns th = columns(data.theta), x = columns(data.x);
  const double n = double(kN);
  for (int i = 0; i < 10; ++i) {
    const double vi = 0.25 * (i + 1);  // Var θi of the walk
    EXPECT_NEAR(mean(th.col[size_t(i)]), 0.0, kSe * std::sqrt(vi / n)) << i;
    EXPECT_NEAR(cov(th.col[size_t(i)], th.col[size_t(i)]), vi, kSe * vi * std::sqrt(2.0 / n)) << i;
    if (i > 0) {
      // Increments θi − θ(i−1) are N(0, 0.25), independent of θ(i−1) (Markov chain).
      std::vector<double> inc(static_cast<size_t>(kN));
      for (size_t k = 0; k < size_t(kN); ++k) inc[k] = th.col[size_t(i)][k] - th.col[size_t(i - 1)][k];
      EXPECT_NEAR(cov(inc, inc), 0.25, kSe * 0.25 * std::sqrt(2.0 / n)) << i;
      for (int j = 0; j < i; ++j)
        EXPECT_NEAR(corr(inc, th.col[size_t(j)]), 0.0, kSe / std::sqrt(n)) << i << " vs " << j;
    }
    expect_standard_residuals(
        th, x.col[size_t(i)], [&](int64_t k) { return std::pow(th.col[size_t(i)][size_t(k)], 2); },
        0.5, "x_" + std::to_string(i));
    // x = θ² + noise with θ ~ N(0, v): E x = v, Var x = 2 v² + 0.25.
    expect_moments(x.col[size_t(i)], vi, 2.0 * vi * vi + 0.25, "x_" + std::to_string(i));
  }
}

}  // namespace
}  // namespace amor::sbi

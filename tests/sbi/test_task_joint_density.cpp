// Task::joint_log_density (log p(θ) + log p(x | θ)) of the tasks that have one, each checked
// three independent ways:
//   closed form      the same density written out differently (tree and hmm as a product of
//                    their conditionals, gaussian_linear as one 20-d Gaussian over (θ, x));
//   normalisation    ∫ p(x | θ) dx = 1 by importance sampling from a proposal built only from
//                    simulator draws at θ (a wide Gaussian, or a box around the draws);
//   simulator match  E_{x ~ simulator(θ)} [p(x | θ') / p(x | θ)] = 1 for a nearby θ', which holds
//                    only if p(· | θ) is the density the simulator draws from (a wrong mean
//                    function or noise level moves it off 1).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.h"
#include "sbi/rng.h"
#include "sbi/simulator.h"
#include "sbi/task.h"

namespace amor::sbi {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double log_normal_pdf(double v, double mean, double sd) {
  return -0.5 * std::pow((v - mean) / sd, 2) - std::log(sd * std::sqrt(2 * std::numbers::pi));
}

// log p(x | θ) from the task's joint density at one (θ, x).
double log_likelihood(const Task& task, const std::vector<double>& theta, const double* x) {
  std::vector<double> row(theta);
  row.insert(row.end(), x, x + task.x_dim());
  return task.joint_log_density_one(row.data()) - task.prior()->log_prob_one(theta.data());
}

// n simulations at θ: [n, x_dim].
std::vector<double> simulate_at(const Task& task, const std::vector<double>& theta, int64_t n, uint64_t seed) {
  const int64_t d = task.theta_dim();
  std::vector<double> rows;
  for (int64_t i = 0; i < n; ++i) rows.insert(rows.end(), theta.begin(), theta.end());
  const Tensor x = simulate(*task.simulator(), from_vector(rows, Shape{n, d}), seed);
  return x.to_vector<double>();
}

struct Estimate {
  double mean = 0, se = 0;
};

Estimate mean_se(const std::vector<double>& w) {
  double s = 0, s2 = 0;
  for (double v : w) s += v, s2 += v * v;
  const double n = double(w.size()), m = s / n;
  return {m, std::sqrt(std::max(s2 / n - m * m, 0.0) / n)};
}

// ∫ p(x | θ) dx by importance sampling. Proposal: per coordinate, a Gaussian 1.5 times wider than
// the simulator's draws at θ (box = false), or uniform on their bounding box widened by `pad`.
Estimate likelihood_mass(const Task& task, const std::vector<double>& theta, bool box, double pad, uint64_t seed) {
  const int64_t dx = task.x_dim(), n_fit = 4000, n_is = 20000;
  const std::vector<double> sims = simulate_at(task, theta, n_fit, seed);
  std::vector<double> lo(size_t(dx), kInf), hi(size_t(dx), -kInf), mu(size_t(dx), 0), sd(size_t(dx), 0);
  for (int64_t i = 0; i < n_fit; ++i)
    for (int64_t j = 0; j < dx; ++j) {
      const double v = sims[size_t(i * dx + j)];
      lo[size_t(j)] = std::min(lo[size_t(j)], v), hi[size_t(j)] = std::max(hi[size_t(j)], v);
      mu[size_t(j)] += v / double(n_fit);
    }
  for (int64_t i = 0; i < n_fit; ++i)
    for (int64_t j = 0; j < dx; ++j) sd[size_t(j)] += std::pow(sims[size_t(i * dx + j)] - mu[size_t(j)], 2) / double(n_fit - 1);
  for (double& s : sd) s = 1.5 * std::sqrt(s);
  std::vector<double> w, x(static_cast<size_t>(dx));
  for (int64_t i = 0; i < n_is; ++i) {
    Rng rng(seed, kUserStreamBase + 7, uint64_t(i));
    double log_q = 0;
    for (int64_t j = 0; j < dx; ++j) {
      if (box) {
        const double a = lo[size_t(j)] - pad, b = hi[size_t(j)] + pad;
        x[size_t(j)] = rng.uniform(a, b);
        log_q -= std::log(b - a);
      } else {
        x[size_t(j)] = mu[size_t(j)] + sd[size_t(j)] * rng.normal();
        log_q += log_normal_pdf(x[size_t(j)], mu[size_t(j)], sd[size_t(j)]);
      }
    }
    w.push_back(std::exp(log_likelihood(task, theta, x.data()) - log_q));
  }
  return mean_se(w);
}

// E_{x ~ simulator(θ)} [p(x | θ') / p(x | θ)].
Estimate likelihood_ratio_mean(const Task& task, const std::vector<double>& theta, const std::vector<double>& theta2,
                               uint64_t seed) {
  const int64_t dx = task.x_dim(), n = 20000;
  const std::vector<double> sims = simulate_at(task, theta, n, seed);
  std::vector<double> w;
  for (int64_t i = 0; i < n; ++i) {
    const double* x = sims.data() + i * dx;
    w.push_back(std::exp(log_likelihood(task, theta2, x) - log_likelihood(task, theta, x)));
  }
  return mean_se(w);
}

// Normalisation and simulator match at five prior draws. θ' − θ: `step` times random signs per
// coordinate, or times `direction` when given.
void check_against_simulator(const std::string& name, bool box, double pad, double step,
                             const std::vector<double>& direction = {}) {
  const TaskPtr task = make_task(name);
  ASSERT_TRUE(task->has_joint_log_density()) << name;
  const Tensor thetas = task->prior()->sample(5, 123);
  const int64_t d = task->theta_dim();
  for (int64_t k = 0; k < 5; ++k) {
    std::vector<double> theta(thetas.data<double>() + k * d, thetas.data<double>() + (k + 1) * d);
    const Estimate mass = likelihood_mass(*task, theta, box, pad, 40 + uint64_t(k));
    // 5 standard errors, and the estimate must be precise enough to mean something.
    EXPECT_LT(mass.se, 0.03) << name << " draw " << k;
    EXPECT_NEAR(mass.mean, 1.0, 5 * mass.se) << name << " draw " << k << ": ∫ p(x | θ) dx";
    std::vector<double> theta2(theta);
    Rng rng(7, kUserStreamBase + 8, uint64_t(k));
    for (size_t j = 0; j < theta2.size(); ++j)
      theta2[j] += step * (direction.empty() ? (rng.uniform() < 0.5 ? -1 : 1) : direction[j]);
    if (!std::isfinite(task->prior()->log_prob_one(theta2.data()))) continue;  // stepped out of the box
    const Estimate ratio = likelihood_ratio_mean(*task, theta, theta2, 60 + uint64_t(k));
    EXPECT_LT(ratio.se, 0.03) << name << " draw " << k;
    EXPECT_NEAR(ratio.mean, 1.0, 5 * ratio.se) << name << " draw " << k << ": E[p(x | θ') / p(x | θ)]";
  }
}

TEST(TaskJointDensity, TreeMatchesItsSimulator) { check_against_simulator("tree", false, 0, 0.15); }
TEST(TaskJointDensity, HmmMatchesItsSimulator) { check_against_simulator("hmm", false, 0, 0.03); }
TEST(TaskJointDensity, GaussianLinearMatchesItsSimulator) { check_against_simulator("gaussian_linear", false, 0, 0.05); }
TEST(TaskJointDensity, GaussianLinearUniformMatchesItsSimulator) {
  check_against_simulator("gaussian_linear_uniform", false, 0, 0.05);
}
// The noise point lies on a half ring of radius 0.1 and width 0.01: a box around the simulated
// points, widened by 5 ring widths, holds all of its mass. θ' = θ + 0.007·(1, −1) keeps
// θ1 + θ2 and so moves the ring along x2 only: its open side (the half-plane edge) stays put,
// and E[p(x | θ') / p(x | θ)] = 1 exactly.
TEST(TaskJointDensity, TwoMoonsMatchesItsSimulator) {
  check_against_simulator("two_moons", true, 0.05, 0.007, {1.0, -1.0});
}

// Rows of simulated joints plus a few arbitrary points.
Tensor test_rows(const Task& task, int64_t n) {
  const Dataset data = simulate_dataset(*task.prior(), *task.simulator(), n, 9);
  const int64_t dt = task.theta_dim(), dx = task.x_dim();
  std::vector<double> rows;
  for (int64_t i = 0; i < data.theta.size(0); ++i) {
    for (int64_t j = 0; j < dt; ++j) rows.push_back(data.theta.data<double>()[i * dt + j]);
    for (int64_t j = 0; j < dx; ++j) rows.push_back(data.x.data<double>()[i * dx + j] + (i % 3 == 0 ? 0.7 : 0.0));
  }
  return from_vector(rows, Shape{data.theta.size(0), dt + dx});
}

TEST(TaskJointDensity, TreeIsTheProductOfItsConditionals) {
  const TaskPtr task = make_task("tree");
  const Tensor rows = test_rows(*task, 200);
  const Tensor lp = task->joint_log_density(rows);
  ASSERT_EQ(lp.shape(), (Shape{rows.size(0)}));
  for (int64_t i = 0; i < rows.size(0); ++i) {
    const double* r = rows.data<double>() + i * 7;
    const double want = log_normal_pdf(r[0], 0, 1) + log_normal_pdf(r[1], r[0], 1) + log_normal_pdf(r[2], r[0], 1) +
                        log_normal_pdf(r[3], std::pow(std::sin(r[1]), 2), 0.2) +
                        log_normal_pdf(r[4], 0.1 * r[1] * r[1], 0.2) + log_normal_pdf(r[5], 0.1 * r[2] * r[2], 0.6) +
                        log_normal_pdf(r[6], std::pow(std::cos(r[2]), 2), 0.1);
    EXPECT_NEAR(lp.data<double>()[i], want, 1e-9 * (1 + std::abs(want))) << "row " << i;
  }
}

TEST(TaskJointDensity, HmmIsTheProductOfItsConditionals) {
  const TaskPtr task = make_task("hmm");
  const Tensor rows = test_rows(*task, 200);
  const Tensor lp = task->joint_log_density(rows);
  for (int64_t i = 0; i < rows.size(0); ++i) {
    const double* r = rows.data<double>() + i * 20;
    double want = log_normal_pdf(r[0], 0, 0.5);
    for (int j = 1; j < 10; ++j) want += log_normal_pdf(r[j], r[j - 1], 0.5);
    for (int j = 0; j < 10; ++j) want += log_normal_pdf(r[10 + j], r[j] * r[j], 0.5);
    EXPECT_NEAR(lp.data<double>()[i], want, 1e-9 * (1 + std::abs(want))) << "row " << i;
  }
}

// (θ, x) of gaussian_linear is one Gaussian: mean 0, Var θ = 0.1 I, Cov(θ, x) = 0.1 I,
// Var x = 0.2 I.
TEST(TaskJointDensity, GaussianLinearIsTheJointGaussian) {
  const TaskPtr task = make_task("gaussian_linear");
  std::vector<std::vector<double>> cov(20, std::vector<double>(20, 0.0));
  for (int i = 0; i < 10; ++i) {
    cov[size_t(i)][size_t(i)] = 0.1;
    cov[size_t(i)][size_t(10 + i)] = cov[size_t(10 + i)][size_t(i)] = 0.1;
    cov[size_t(10 + i)][size_t(10 + i)] = 0.2;
  }
  const DistributionPtr joint = multivariate_normal(std::vector<double>(20, 0.0), cov);
  const Tensor rows = test_rows(*task, 200);
  const Tensor lp = task->joint_log_density(rows), want = joint->log_prob(rows);
  for (int64_t i = 0; i < rows.size(0); ++i)
    EXPECT_NEAR(lp.data<double>()[i], want.data<double>()[i], 1e-9 * (1 + std::abs(want.data<double>()[i])));
}

TEST(TaskJointDensity, UniformPriorIsMinusInfinityOutsideTheBox) {
  const TaskPtr task = make_task("gaussian_linear_uniform");
  std::vector<double> row(20, 0.0);
  EXPECT_NEAR(task->joint_log_density_one(row.data()), -10 * std::log(2.0) + 10 * log_normal_pdf(0, 0, std::sqrt(0.1)),
              1e-9);
  row[3] = 1.01;
  EXPECT_EQ(task->joint_log_density_one(row.data()), -kInf);
  const TaskPtr moons = make_task("two_moons");
  const double outside[4] = {1.2, 0.0, 0.0, 0.0};
  EXPECT_EQ(moons->joint_log_density_one(outside), -kInf);
}

TEST(TaskJointDensity, BadInputAndTasksWithoutADensity) {
  const TaskPtr tree = make_task("tree");
  EXPECT_THROW(tree->joint_log_density(zeros({3, 6}, {.dtype = DType::F64})), ShapeError);
  EXPECT_THROW(tree->joint_log_density(zeros({7}, {.dtype = DType::F64})), ShapeError);
  // float32 rows are accepted.
  EXPECT_EQ(tree->joint_log_density(zeros({2, 7})).shape(), (Shape{2}));
  const TaskPtr slcp = make_task("slcp");
  EXPECT_FALSE(slcp->has_joint_log_density());
  EXPECT_THROW(slcp->joint_log_density(zeros({1, 13}, {.dtype = DType::F64})), NotImplementedError);
}

}  // namespace
}  // namespace amor::sbi

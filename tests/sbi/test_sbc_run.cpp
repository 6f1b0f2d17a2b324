// run_sbc (sbi/diagnostics/sbc_run.h) and the posterior predictive helpers
// (sbi/diagnostics/posterior_predictive.h) on gaussian_linear, whose exact posterior is known:
// the exact posterior passes SBC, an over-confident one fails it; predictive quantiles and
// coverage against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "sbi/diagnostics/posterior_predictive.h"
#include "sbi/diagnostics/sbc_run.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::sbi {
namespace {

// The analytic posterior of gaussian_linear (θ | x ~ N(x/2, 0.05 I)), its spread scaled by
// `spread` (1: exact, < 1: over-confident).
class ScaledAnalyticPosterior final : public Posterior {
 public:
  ScaledAnalyticPosterior(TaskPtr task, double spread) : task_(std::move(task)), spread_(spread) {}
  std::string method() const override { return "analytic"; }
  std::string task_name() const override { return task_->name(); }
  int64_t theta_dim() const override { return task_->theta_dim(); }
  int64_t x_dim() const override { return task_->x_dim(); }
  Tensor sample(const Tensor& x_o, int64_t n, uint64_t seed) override {
    const Tensor s = task_->analytic_posterior_samples(x_o, n, seed).to(DType::F64).contiguous();
    const Tensor mean = x_o.to(DType::F64).reshape({1, x_dim()}) * 0.5;
    return mean + (s - mean) * spread_;
  }
  void save(const std::string& /*path*/) const override {}

 private:
  TaskPtr task_;
  double spread_;
};

TEST(SbcRun, ExactPosteriorPassesAndOverconfidentFails) {
  const TaskPtr task = make_task("gaussian_linear");
  SbcRunOptions o;
  o.num_simulations = 300;
  o.num_draws = 100;
  o.seed = 3;
  int64_t rounds = 0;
  o.on_round = [&](int64_t done, int64_t total) {
    rounds = done;
    EXPECT_EQ(total, 300);
  };
  ScaledAnalyticPosterior exact(task, 1.0), narrow(task, 0.6);
  const SbcRun good = run_sbc(*task, exact, o);
  EXPECT_EQ(rounds, 300);
  ASSERT_EQ(good.ranks.shape(), (Shape{300, 10}));
  ASSERT_EQ(good.draws.shape(), (Shape{300, 100, 10}));
  EXPECT_TRUE(good.check.passed) << good.check.summary();
  const SbcRun bad = run_sbc(*task, narrow, o);
  EXPECT_FALSE(bad.check.passed) << bad.check.summary();
  // Same seed, same θ and x.
  EXPECT_EQ(max(abs(good.theta - bad.theta)).item<double>(), 0.0);
  EXPECT_EQ(max(abs(good.x - bad.x)).item<double>(), 0.0);
}

TEST(SbcRun, StopsEarlyOnTheFlagAndRejectsBadArguments) {
  const TaskPtr task = make_task("gaussian_linear");
  ScaledAnalyticPosterior exact(task, 1.0);
  std::atomic<bool> stop{false};
  SbcRunOptions o;
  o.num_simulations = 50;
  o.num_draws = 20;
  o.stop = &stop;
  o.on_round = [&](int64_t done, int64_t) { stop = done >= 7; };
  EXPECT_EQ(run_sbc(*task, exact, o).ranks.size(0), 7);
  o.stop = nullptr;
  o.num_draws = 0;
  EXPECT_THROW(run_sbc(*task, exact, o), ValueError);
  o.num_draws = 10;
  o.num_simulations = 0;
  EXPECT_THROW(run_sbc(*task, exact, o), ValueError);
  o.num_simulations = 5;
  EXPECT_THROW(run_sbc(*make_task("two_moons"), exact, o), ValueError);  // θ[2], x[2]
}

TEST(PosteriorPredictive, QuantilesInterpolateLikeNumpyAndSkipNonFinite) {
  // Column 0: 1..5; column 1: 10, NaN, 30, inf, 20 -> finite {10, 20, 30}; column 2: all NaN.
  const double nan = std::nan(""), inf = INFINITY;
  const Tensor x = from_vector(std::vector<double>{1, 10, nan, 2, nan, nan, 3, 30, nan, 4, inf, nan, 5, 20, nan},
                               Shape{5, 3});
  const Tensor q = column_quantiles(x, {0.0, 0.25, 0.5, 0.9, 1.0});
  const double* p = q.data<double>();
  // numpy.quantile([1,2,3,4,5], [0, .25, .5, .9, 1]) = 1, 2, 3, 4.6, 5
  EXPECT_DOUBLE_EQ(p[0 * 3], 1.0);
  EXPECT_DOUBLE_EQ(p[1 * 3], 2.0);
  EXPECT_DOUBLE_EQ(p[2 * 3], 3.0);
  EXPECT_NEAR(p[3 * 3], 4.6, 1e-12);
  EXPECT_DOUBLE_EQ(p[4 * 3], 5.0);
  // numpy.quantile([10, 20, 30], [.25, .9]) = 15, 28
  EXPECT_DOUBLE_EQ(p[1 * 3 + 1], 15.0);
  EXPECT_NEAR(p[3 * 3 + 1], 28.0, 1e-12);
  EXPECT_TRUE(std::isnan(p[2 * 3 + 2]));
  EXPECT_THROW(column_quantiles(x, {1.5}), ValueError);
}

TEST(PosteriorPredictive, CoverageCountsObservedEntriesInsideTheCentralInterval) {
  std::vector<double> v;
  for (int i = 0; i <= 100; ++i) v.insert(v.end(), {double(i), double(i), double(i)});
  const Tensor x = from_vector(v, Shape{101, 3});  // every column 0..100: 90% interval [5, 95]
  EXPECT_DOUBLE_EQ(predictive_interval_coverage(x, from_vector(std::vector<double>{50, 4, 95}, Shape{1, 3}), 0.9),
                   2.0 / 3.0);
  EXPECT_THROW(predictive_interval_coverage(x, from_vector(std::vector<double>{1, 2}, Shape{1, 2}), 0.9), ShapeError);
  EXPECT_THROW(predictive_interval_coverage(x, from_vector(std::vector<double>{1, 2, 3}, Shape{1, 3}), 1.0), ValueError);
}

// The exact posterior's predictive at x_o is N(x_o/2, 0.05 + 0.1) per entry and x_o/2 ~ N(0, 0.05),
// so the observation falls inside the central 90% band with probability
// P(|z| < 1.645 · sqrt(0.15 / 0.05)) = P(|z| < 2.849) = 0.9956: posterior predictive checks are
// conservative, not nominal.
TEST(PosteriorPredictive, ExactPosteriorPredictiveCoversTheObservation) {
  const TaskPtr task = make_task("gaussian_linear");
  ScaledAnalyticPosterior exact(task, 1.0);
  const Dataset obs = simulate_dataset(*task->prior(), *task->simulator(), 40, 11);
  double inside = 0;
  for (int64_t i = 0; i < 40; ++i) {
    const Tensor x_o = obs.x.narrow(0, i, 1);
    const PosteriorPredictive pp = posterior_predictive(*task, exact, x_o, 400, 100 + uint64_t(i));
    ASSERT_EQ(pp.x.shape(), (Shape{400, 10}));
    EXPECT_EQ(pp.num_invalid, 0);
    inside += predictive_interval_coverage(pp.x, x_o, 0.9);
  }
  // 400 entries; the band from 400 draws moves the rate by about ±0.005.
  EXPECT_NEAR(inside / 40.0, 0.9956, 0.02);
}

}  // namespace
}  // namespace amor::sbi

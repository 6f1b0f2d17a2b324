// Issue #5's analytic acceptance: NPE with the sbibm paper's estimator (NSF) and sbi's training
// defaults, 10 000 simulations of gaussian_linear, against the exact posterior of sbibm's
// observations 1–3. Prior N(0, 0.1·I), x ~ N(θ, 0.1·I), so θ | x_o ~ N(x_o / 2, 0.05·I).
//
// Per observation, from 10 000 posterior draws:
//   mean error      e_j = (mean_j − x_o,j / 2) / √0.05, in posterior standard deviations;
//                   max_j |e_j| must stay below kMaxMeanError
//   variance ratio  r_j = var_j / 0.05; every r_j in [kMinVarRatio, kMaxVarRatio]
// Monte-Carlo noise alone: sd(e_j) = 1/√10 000 = 0.01, sd(r_j) = √(2/9 999) = 0.014, so the
// bounds measure the estimator, not the draw.
//
// Why these bounds (measured 2026-12-07, bench/RESULTS.md "NPE on gaussian_linear"): on these
// three observations, with the same data and settings (10 000 simulations, NSF, batch 200, early
// stopping after ~35 epochs on both sides), sbi 0.27's NSF reached max |e_j| 0.17–0.22 and r_j in
// 0.80–1.30 (seed 0), 0.10–0.21 and 0.84–1.23 (seed 1); amor's NSF 0.11–0.19 and 0.83–1.26 (seed 0, the seed used here), 0.18–0.27
// and 0.88–1.25 (seed 1), 0.17–0.30 and 0.83–1.17 (seed 2). A correct NPE at this budget is thus
// off by up to ~0.3 posterior sd in its worst dimension; the bounds, 0.4 sd and r_j in
// [0.7, 1.4], sit just outside what both libraries do, while a broken method is far outside:
//   posterior = prior (x ignored):  mean 0, so |e_j| = |x_o,j| / (2·0.224): 1.8–2.3 at the worst
//                                    dimension of these observations; r_j = 2
//   a collapsed or over-dispersed flow, or a wrong standardisation: r_j far from 1.
// SLOW: about a minute of training and sampling on one core, hence the SLOW_ prefix (label
// `slow`); the unit suite's fast version is Npe.MafRecoversTheGaussianLinearPosterior.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sbi/method.h"
#include "sbi/simulator.h"
#include "sbi/task.h"
#include "tests/sbi/task_test_util.h"

namespace amor::sbi {
namespace {

constexpr double kPosteriorVariance = 0.05;
constexpr double kMaxMeanError = 0.4;  // posterior sds, max over the 10 dimensions
constexpr double kMinVarRatio = 0.7;
constexpr double kMaxVarRatio = 1.4;

struct MomentErrors {
  double max_abs_mean_error = 0;  // in posterior sds
  double min_var_ratio = 1e300, max_var_ratio = 0;
};

// samples: [n, d] float64; x_o: [1, d].
MomentErrors moment_errors(const Tensor& samples, const Tensor& x_o) {
  const int64_t n = samples.size(0), d = samples.size(1);
  const double* s = samples.data<double>();
  const Tensor x = x_o.to(DType::F64).contiguous();
  MomentErrors out;
  for (int64_t j = 0; j < d; ++j) {
    double mean = 0, m2 = 0;
    for (int64_t i = 0; i < n; ++i) mean += s[i * d + j];
    mean /= double(n);
    for (int64_t i = 0; i < n; ++i) m2 += (s[i * d + j] - mean) * (s[i * d + j] - mean);
    const double var = m2 / double(n - 1);
    const double err = (mean - x.data<double>()[j] / 2) / std::sqrt(kPosteriorVariance);
    out.max_abs_mean_error = std::max(out.max_abs_mean_error, std::abs(err));
    out.min_var_ratio = std::min(out.min_var_ratio, var / kPosteriorVariance);
    out.max_var_ratio = std::max(out.max_var_ratio, var / kPosteriorVariance);
  }
  return out;
}

TEST(NpeGaussianLinear, SLOW_NsfAt1e4MatchesTheAnalyticPosterior) {
  AMOR_SKIP_WITHOUT_SBIBM("gaussian_linear");
  const TaskPtr task = make_task("gaussian_linear");
  const Dataset data = simulate_dataset(*task->prior(), *task->simulator(), 10000, /*seed=*/0);
  TrainOptions options;
  options.seed = 0;
  options.config = {{"estimator", "nsf"}};  // the sbibm paper's NPE; sbi's training defaults
  TrainReport report;
  PosteriorPtr posterior = find_method("npe").train(*task, data, options, &report);
  std::printf("[ npe      ] gaussian_linear NSF, 10000 simulations: %lld epochs, %.1f s\n",
              static_cast<long long>(report.epochs), report.train_seconds);
  for (int k = 1; k <= 3; ++k) {
    const Tensor x_o = task->observation(k);
    const Tensor s = posterior->sample(x_o, 10000, /*seed=*/uint64_t(k));
    ASSERT_EQ(s.shape(), (Shape{10000, 10}));
    const MomentErrors e = moment_errors(s, x_o);
    std::printf("[ npe      ] observation %d: max |mean error| %.3f sd, variance ratio %.3f–%.3f\n", k,
                e.max_abs_mean_error, e.min_var_ratio, e.max_var_ratio);
    EXPECT_LT(e.max_abs_mean_error, kMaxMeanError) << "observation " << k;
    EXPECT_GT(e.min_var_ratio, kMinVarRatio) << "observation " << k;
    EXPECT_LT(e.max_var_ratio, kMaxVarRatio) << "observation " << k;
  }
}

}  // namespace
}  // namespace amor::sbi

// The Simformer beyond the posterior on gaussian_linear at 1e4 simulations (issue #7's acceptance),
// with the cut-down recipe (6000 steps of 500, ancestral sampler with 50 steps; about 15 min to
// train on 2 cores): one model, three checks (examples/simformer_guidance/gaussian_linear_checks.h):
//   - an interval observation x_1 ∈ [x_o,1 ± 0.15]: ≥ 99 % of the sampled x_1 inside, θ against
//     rejection sampling from the true model, C2ST ≤ 0.60;
//   - 3 of 10 x entries missing: θ against the analytic posterior given the other 7, C2ST ≤ 0.56;
//   - log p(θ | x_o) at 1000 analytic posterior draws: mean |error| ≤ 0.05 nats (exact divergence).
// SLOW_: not in the unit suite.
#include <gtest/gtest.h>

#include <cstdio>

#include "examples/simformer_guidance/gaussian_linear_checks.h"
#include "tests/sbi/sbibm_test_data.h"

namespace {

TEST(SLOW_SimformerGuidance, GaussianLinearIntervalsMissingDataAndLogProb) {
  using namespace simformer_examples;
  if (amor::testing::sbibm_reference_file("gaussian_linear").empty()) GTEST_SKIP() << "no sbibm data for gaussian_linear";
  TrainSettings settings;
  settings.verbose = false;
  auto model = train_or_load("", settings);
  const amor::Tensor x_o = observation(1);

  const IntervalResult interval = interval_observation(*model, x_o, 0.15, 10000, 1);
  std::printf("interval x_1 in [%.3f, %.3f]: inside %.4f, C2ST %.3f\n", interval.lower, interval.upper,
              interval.inside, interval.c2st);
  EXPECT_GE(interval.inside, 0.99);
  EXPECT_LE(interval.c2st, 0.60);

  const double missing = missing_data_c2st(*model, x_o, 10000, 2);
  std::printf("missing x_3, x_6, x_9: C2ST %.3f\n", missing);
  EXPECT_LE(missing, 0.56);

  const LogProbResult lp = posterior_log_prob(*model, x_o, 1000, amor::sbi::simformer::LogProbOptions{}, 3);
  std::printf("log_prob (exact): mean |error| %.4f, mean error %+.4f nats, %.0f s\n", lp.mean_abs_error,
              lp.mean_error, lp.seconds);
  EXPECT_LE(lp.mean_abs_error, 0.05);
}

}  // namespace

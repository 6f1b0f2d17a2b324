// The BayesFlow starter model: Bayesian linear regression with a variable number of points
// (BayesFlow's Linear_Regression_Starter notebook; ../shared/reference/bayesflow.md §7).
//
//   meta (once per batch):   N ~ U{min_points, ..., max_points}          (default U{5..14})
//   prior (per simulation):  beta ~ N([2, 0], diag(3², 1²)),  sigma ~ Gamma(shape 1, scale 1)
//   likelihood:              x_j ~ N(0, 1),  y_j ~ N(beta_0 + beta_1 x_j, sigma²),  j < N
//
// Variables of GenerativeModel::sample(B, ...) (sbi/generative_model.h):
//   N [B] (the batch's N, broadcast), beta [B, 2], sigma [B, 1], x [B, N], y [B, N].
// sigma has a trailing axis of 1, as in BayesFlow, so [beta, sigma] concatenate to the [B, 3]
// inference variables. It is not a fixed-dimension Task: N changes from batch to batch.
#pragma once

#include <cstdint>

#include "sbi/generative_model.h"

namespace amor::sbi::tasks {

struct LinearRegressionOptions {
  int64_t min_points = 5;   // N's range, inclusive (BayesFlow: np.random.randint(5, 15))
  int64_t max_points = 14;
};

// ValueError unless 1 <= min_points <= max_points.
GenerativeModel linear_regression_model(const LinearRegressionOptions& options = {});

}  // namespace amor::sbi::tasks

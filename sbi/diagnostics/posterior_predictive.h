// Posterior predictive checks: simulate from posterior draws at an observation and compare the
// spread of the simulations with the observation itself. An observation far outside the
// predictive bands means the posterior (or the model) cannot reproduce the data.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "sbi/method.h"
#include "sbi/task.h"

namespace amor::sbi {

struct PosteriorPredictive {
  Tensor theta;  // [n, d] float64 posterior draws at x_o
  Tensor x;      // [n, x_dim] float64 one simulation per draw (invalid rows kept, NaN/inf)
  int64_t num_invalid = 0;
};

// n posterior draws at x_o ([x_dim] or [1, x_dim]) with `seed`, each simulated once (simulator
// stream with seed + 1). ValueError for n < 1 or a posterior / x_o that does not fit the task.
PosteriorPredictive posterior_predictive(const Task& task, Posterior& posterior, const Tensor& x_o, int64_t n,
                                         uint64_t seed);

// Per-column quantiles of the finite entries of x [n, k] (linear interpolation between order
// statistics, numpy's default): [levels.size(), k] float64; NaN for a column with no finite entry.
// ValueError for a level outside [0, 1].
Tensor column_quantiles(const Tensor& x, const std::vector<double>& levels);

// The fraction of the k entries of x_o inside the central `level` interval of each column of the
// predictive x [n, k] (finite entries only). A well-specified model puts about `level` of them
// inside for a typical observation.
double predictive_interval_coverage(const Tensor& x, const Tensor& x_o, double level);

}  // namespace amor::sbi

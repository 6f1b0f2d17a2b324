// The Simformer beyond the posterior on sbibm's gaussian_linear (θ ~ N(0, 0.1·I₁₀),
// x ~ N(θ, 0.1·I₁₀)), where every answer is known in closed form or by exact rejection:
//   - an interval observation x_1 ∈ [a, b] (the other x given): θ | (x_1 ∈ [a, b], x_2..10) by
//     guidance, against rejection sampling from the true model;
//   - missing data: 3 of the 10 x entries NaN, against the analytic posterior given the other 7;
//   - log_prob of the posterior through the probability-flow ODE, against the analytic density.
// Shared by the three example programs (interval_conditioning, missing_data, log_prob) and the
// SLOW_ test tests/sbi/test_simformer_guidance_gaussian_linear.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/tensor.h"
#include "sbi/simformer/simformer_method.h"

namespace simformer_examples {

struct TrainSettings {
  int64_t simulations = 10000;
  int64_t steps = 6000;       // training steps (the cut-down recipe; the reference uses 30 000 at 1e4)
  int64_t batch_size = 500;
  int64_t sampling_steps = 50;  // ancestral sampler
  uint64_t seed = 0;
  bool verbose = true;          // training progress on stderr
};

// Trains a Simformer on gaussian_linear, or loads `model_path` when it is not empty (a checkpoint
// from `amor train --task gaussian_linear --method simformer`).
std::unique_ptr<amor::sbi::simformer::SimformerPosterior> train_or_load(const std::string& model_path,
                                                                        const TrainSettings& settings);

// x_o: [10] (gaussian_linear observation k's x, read from the sbibm data by the task).
amor::Tensor observation(int k);

struct IntervalResult {
  double lower = 0, upper = 0;  // the interval on x_1
  double inside = 0;            // fraction of sampled x_1 inside it
  double c2st = 0;              // θ samples against rejection samples from the true model
};
// θ | x_1 ∈ [x_o,1 − half_width, x_o,1 + half_width], x_2..10 = x_o,2..10.
IntervalResult interval_observation(amor::sbi::simformer::SimformerPosterior& model, const amor::Tensor& x_o,
                                    double half_width, int64_t n, uint64_t seed);

// θ | x_o with x_3, x_6, x_9 NaN: C2ST against the analytic posterior given the other 7.
double missing_data_c2st(amor::sbi::simformer::SimformerPosterior& model, const amor::Tensor& x_o, int64_t n,
                         uint64_t seed);

struct LogProbResult {
  double mean_abs_error = 0;  // nats, over the points
  double mean_error = 0;      // model − analytic, nats
  double seconds = 0;
};
// log p(θ | x_o) at n analytic posterior draws, against the analytic log-density.
LogProbResult posterior_log_prob(amor::sbi::simformer::SimformerPosterior& model, const amor::Tensor& x_o, int64_t n,
                                 const amor::sbi::simformer::LogProbOptions& options, uint64_t seed);

}  // namespace simformer_examples

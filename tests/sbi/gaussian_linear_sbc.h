// The gaussian_linear model with its analytic posterior, for the calibration tests:
// θ ~ N(0, 0.1·I), x | θ ~ N(θ, 0.1·I), so θ | x ~ N(x/2, 0.05·I). A "posterior" with a chosen
// mean shift and variance factor produces exact (shift 0, factor 1), over-confident
// (factor < 1) or biased (shift ≠ 0) samples.
#pragma once

#include <cmath>
#include <numbers>

#include "core/ops.h"
#include "core/random.h"

namespace amor::testing {

struct GaussianLinearRun {
  Tensor theta;    // [n, d] true parameters from the prior
  Tensor x;        // [n, d] observations
  Tensor samples;  // [n, L, d] posterior samples
  Tensor truth_log_prob;    // [n]: log q(θ_i | x_i) under the sampled posterior
  Tensor samples_log_prob;  // [n, L]: log q(θ_il | x_i)
};

inline GaussianLinearRun gaussian_linear_run(int64_t n, int64_t L, int64_t d, double shift_sd,
                                             double variance_factor, uint64_t seed) {
  const TensorOptions f64{.dtype = DType::F64};
  Generator gen(seed);
  GaussianLinearRun r;
  r.theta = randn(Shape{n, d}, gen, f64) * std::sqrt(0.1);
  r.x = r.theta + randn(Shape{n, d}, gen, f64) * std::sqrt(0.1);
  const double post_sd = std::sqrt(0.05);
  const double q_sd = post_sd * std::sqrt(variance_factor);
  const Tensor mean = r.x * 0.5 + shift_sd * post_sd;  // [n, d]
  r.samples = mean.unsqueeze(1) + randn(Shape{n, L, d}, gen, f64) * q_sd;
  // log N(v; mean, q_sd²·I) summed over d.
  const double norm = -0.5 * double(d) * std::log(2.0 * std::numbers::pi * q_sd * q_sd);
  auto log_q = [&](const Tensor& v, const Tensor& m) {
    return sum(square(v - m), {-1}) * (-0.5 / (q_sd * q_sd)) + norm;
  };
  r.truth_log_prob = log_q(r.theta, mean);
  r.samples_log_prob = log_q(r.samples, mean.unsqueeze(1));
  return r;
}

}  // namespace amor::testing

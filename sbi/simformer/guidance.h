// Constraint guidance for the reverse samplers (../shared/reference/simformer.md §5): sampling a
// conditional restricted to a region C — intervals a ≤ z_i ≤ b on any latent entries (one-sided
// too), linear constraints w·z ≤ c, and polytopes (several linear constraints) — without
// retraining. The exact score of the restricted distribution is
//   ∇ log p_t(x_t | C) = ∇ log p_t(x_t) + ∇ log P(x_0 ∈ C | x_t),
// and the guidance approximates the second term on the denoised (Tweedie) estimate
// x̂₀ = D(x_t) = (x_t + s²·ŝ)/α (reverse_sampler.h) by one factor per linear constraint
// a_k ≤ w_k·z ≤ b_k (an interval on one entry, a half-space when one bound is infinite):
//   ŝ_guided = ŝ + J_t · ∇_{x̂₀} Σ_k log c_k(w_k·x̂₀, t).
// Three schedules (s = std(t), α = mean_factor(t)):
//   inverse_variance  the reference's: c_k = σ(k_t·(b_k − w_k·x̂₀))·σ(k_t·(w_k·x̂₀ − a_k)), logistic
//                     sigmoids with k_t = sharpness / (s² + bias), and J_t = 1 (the Jacobian of
//                     x̂₀ with respect to x_t is ignored). It keeps samples inside, but with the exact score of a
//                     Gaussian its samples stay visibly off the truncated distribution (KS
//                     distance 0.04–0.1 for 1-D truncated normals, tests/sbi/
//                     test_simformer_guidance.cpp).
//   posterior_width   c_k = Φ((b_k − y)/width) − Φ((a_k − y)/width), y = w_k·x̂₀: the probability
//                     that a ≤ w·x_0 ≤ b when x_0 | x_t is Gaussian around x̂₀ with the spread it
//                     has for standardised (unit-variance) data, τ² = s²/(α² + s²) per entry:
//                     width = |w|·τ/sharpness, and
//                     J_t = α/(α² + s²), the Jacobian ∂x̂₀/∂x_t under that Gaussian. Exact for
//                     an interval on a standard normal entry. Per entry: blind to correlations
//                     between entries.
//   tweedie           (default) the same with the full Jacobian, by autodiff through the score:
//                     the gradient is (∂x̂₀/∂x_t)ᵀ∇_{x̂₀} log c, and each constraint's width is
//                     the Tweedie posterior variance Var(w·x_0 | x_t) = (s²/α)·wᵀ(∂x̂₀/∂x_t)w
//                     (over sharpness), so a constraint on one entry also steers the entries
//                     correlated with it. Exact for an interval on one direction of Gaussian data.
//                     Costs one backward pass through the score per constraint per evaluation;
//                     needs a differentiable score (the network is).
// Several constraints multiply their factors (a polytope: exact only when the directions are
// independent under x_0 | x_t). For the two matched schedules the pull on a point outside is
// capped so that one step moves w·x̂₀ at most to one width inside the bound: with sharpness ≤ 1 the
// cap never binds; sharper settings would otherwise overshoot and diverge.
// Self-recurrence (Bansal et al. 2023; reference `resampling_steps`): after each guided step the
// state is re-noised back to the step's start time with the forward kernel and the step is redone,
// `recurrence` times; integrate_reverse(..., recurrence) does that.
//
// Everything here works on one coordinate system; SimformerModel converts constraints given in
// the data's units to its standardised units with Constraints::standardised.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/tensor.h"
#include "sbi/simformer/reverse_sampler.h"
#include "sbi/simformer/sde.h"

namespace amor::sbi::simformer {

// lower ≤ weights·z ≤ upper over all T entries (weights has T entries); one of the bounds may be
// infinite (a half-space), not both.
struct LinearConstraint {
  std::vector<double> weights;
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();
};

// An intersection of linear constraints over the T entries of the joint. Builders throw
// ValueError on an index outside [0, T), a NaN bound, an empty interval (lower > upper), weights
// of the wrong length, non-finite or all-zero weights.
class Constraints {
 public:
  explicit Constraints(int64_t tokens = 0);

  // lower ≤ z_i ≤ upper; either side may be ±infinity (one-sided), not both. One constraint.
  Constraints& add_interval(int64_t index, double lower, double upper);
  // weights·z ≤ bound (weights: T entries).
  Constraints& add_linear(std::vector<double> weights, double bound);
  // A·z ≤ b, one half-space per row: a [K, T], b [K] (any float dtype).
  Constraints& add_polytope(const Tensor& a, const Tensor& b);
  // lower ≤ weights·z ≤ upper as given (one bound may be infinite, not both).
  Constraints& add(LinearConstraint constraint);

  int64_t tokens() const { return tokens_; }
  bool empty() const { return constraints_.empty(); }
  const std::vector<LinearConstraint>& constraints() const { return constraints_; }
  // Entries with a non-zero weight in some constraint: [T].
  std::vector<bool> constrained_entries() const;
  // Whether z (T entries) satisfies every constraint.
  bool satisfied(const double* z) const;
  // The same region in standardised units z = (v − mean)/std: w ↦ w⊙std, bounds ↦ bound − w·mean.
  // mean, std: [T].
  Constraints standardised(const std::vector<double>& mean, const std::vector<double>& std) const;

 private:
  int64_t tokens_;
  std::vector<LinearConstraint> constraints_;
};

enum class GuidanceScale { InverseVariance, PosteriorWidth, Tweedie };

// "inverse_variance", "posterior_width", "tweedie"; ValueError naming the choices.
GuidanceScale parse_guidance_scale(const std::string& name);
std::string to_string(GuidanceScale scale);

struct GuidanceOptions {
  GuidanceScale scale = GuidanceScale::Tweedie;
  double sharpness = 1.0;  // multiplies k_t (inverse_variance), divides the width (the others)
  double bias = 0.0;       // inverse_variance only: k_t = sharpness / (s² + bias)
  int64_t recurrence = 0;  // self-recurrence repeats per step (the reference uses 0, 5 or 25)

  void validate() const;  // ValueError naming the field
  nlohmann::json to_json() const;
  static GuidanceOptions from_json(const nlohmann::json& j, GuidanceOptions defaults);
  static GuidanceOptions from_json(const nlohmann::json& j) { return from_json(j, GuidanceOptions{}); }
};

// The guidance term J_t·∇_{x̂₀} Σ_k log c_k for x̂₀ [m, T] (float32 or float64) -> [m, T]
// float32, for the inverse_variance and posterior_width schedules (ValueError for tweedie, which
// needs the score: guided_score). constraints in the same units as x̂₀.
Tensor guidance_gradient(const Constraints& constraints, const Sde& sde, const GuidanceOptions& options,
                         const Tensor& x0_hat, double t);

// ŝ_guided(x_t, t) = ŝ + guidance_gradient(D(x_t)). constraints in the sampler's units.
ScoreFunction guided_score(ScoreFunction score, const Sde& sde, Constraints constraints, GuidanceOptions options);

}  // namespace amor::sbi::simformer

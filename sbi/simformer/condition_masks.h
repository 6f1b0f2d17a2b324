// Condition masks: which tokens of (θ, x) are observed in a training sample.
//
// The reference recipe (../shared/reference/simformer.md §4) draws, per sample, one of five
// kinds with probability 0.2 each: joint (nothing observed), posterior (x observed),
// likelihood (θ observed), and Bernoulli(0.3) / Bernoulli(0.7) per token. A mask with every
// token observed is reset to all latent (there would be nothing to learn). The reference draws
// the two Bernoulli masks once per batch and shares them; we draw them per sample unless
// `shared_bernoulli` asks for the reference's behaviour.
#pragma once

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/random.h"
#include "core/tensor.h"

namespace amor::sbi::simformer {

struct ConditionMaskDistribution {
  // Probabilities of joint, posterior, likelihood, Bernoulli(p_low), Bernoulli(p_high).
  std::array<double, 5> weights{0.2, 0.2, 0.2, 0.2, 0.2};
  double p_low = 0.3, p_high = 0.7;
  bool shared_bernoulli = false;

  void validate() const;  // ValueError
  nlohmann::json to_json() const;
  static ConditionMaskDistribution from_json(const nlohmann::json& j);
};

// observed: [batch, theta_dim + x_dim] bool, θ first.
Tensor sample_condition_masks(const ConditionMaskDistribution& dist, int64_t batch, int64_t theta_dim,
                              int64_t x_dim, Generator& gen);

// The posterior mask (x observed) and the likelihood mask (θ observed) for a batch.
Tensor posterior_mask(int64_t batch, int64_t theta_dim, int64_t x_dim);
Tensor likelihood_mask(int64_t batch, int64_t theta_dim, int64_t x_dim);

}  // namespace amor::sbi::simformer

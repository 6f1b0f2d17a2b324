// BayesFlow's CouplingFlow with affine couplings (its default inference network).
//
// depth × [ActNorm (data-dependent init), permutation, DualCoupling], where a DualCoupling is
// two AffineCouplings: the first transforms features [d/2, d) given [0, d/2) and the context,
// the second [0, d/2) given the (new) [d/2, d) and the context (BayesFlow's pivot = d // 2).
// For d = 1 only the first coupling exists (conditioned on the context alone, so 1-D needs a
// context). Conditioner: MLP hidden (128, 128), zero-initialised output layer, so the whole flow
// starts as ActNorm ∘ permutations.
//
// Differences from BayesFlow, on purpose: the conditioner activation defaults to "silu" (amor's
// nn has no hard_silu), has no dropout (0.05 in BayesFlow) and PyTorch's default Linear
// initialisation instead of Glorot; "orthogonal" (learned) permutations are not offered.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sbi/flows/conditional_flow.h"

namespace amor::sbi::flows {

// Round-trips through JSON: {"type": "coupling", "depth", "hidden_features": [..], "activation",
// "use_actnorm", "permutation", "seed", + FlowOptions' keys}.
struct CouplingFlowConfig {
  int64_t depth = 6;
  std::vector<int64_t> hidden_features = {128, 128};
  std::string activation = "silu";
  bool use_actnorm = true;
  std::string permutation = "random";  // "random", "reverse" or "none"
  uint64_t seed = 0;
  FlowOptions flow = {};

  nlohmann::json to_json() const;
  static CouplingFlowConfig from_json(const nlohmann::json& j);
};

// ValueError for features == 1 without a context (the coupling would have no input).
ConditionalFlowPtr make_coupling_flow(int64_t features, int64_t context_features,
                                      const CouplingFlowConfig& config = {});

}  // namespace amor::sbi::flows
